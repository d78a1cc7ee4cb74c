import type { Route } from '../router.js';
import { whoami } from './auth.js';
import { commit, preupload } from './commit.js';
import { basicUpload, completeMultipart, lfsBatch, lfsDownload, partUpload, verify } from './lfs.js';
import {
  createBranch,
  createRepo,
  deleteRepo,
  listRefs,
  modelInfo,
  repoTypeNotSupported,
  validateYaml,
} from './repos.js';
import { resolveFile } from './resolve.js';
import { pathsInfo, tree } from './tree.js';
import { listModelsApi } from './list-models.js';
import { login, loginPage, logout } from '../web/auth-pages.js';
import { listPage } from '../web/list-page.js';
import { modelPage } from '../web/model-page.js';
import { serveStatic } from '../web/static.js';
import { reportPage } from '../web/validation.js';

const ANY = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'] as const;

/**
 * The Hub API this server speaks, as data: first match wins. Access is checked before a handler runs and
 * before any body is read (see Access); `body` names the budget a route may read.
 */
export const HUB_ROUTES: readonly Route[] = [
  { methods: ['GET'], path: '/api/whoami-v2', access: 'token', handle: whoami },
  { methods: ['POST'], path: '/api/repos/create', access: 'writer', body: 'json', handle: createRepo },
  { methods: ['DELETE'], path: '/api/repos/delete', access: 'writer', body: 'json', handle: deleteRepo },
  { methods: ['POST'], path: '/api/validate-yaml', access: 'anyone', body: 'json', handle: validateYaml },
  { methods: ANY, path: '/api/datasets/*rest?', access: 'anyone', handle: () => repoTypeNotSupported('datasets') },
  { methods: ANY, path: '/api/spaces/*rest?', access: 'anyone', handle: () => repoTypeNotSupported('spaces') },
  { methods: ['GET'], path: '/api/models', access: 'anyone', handle: listModelsApi },
  { methods: ['GET'], path: '/api/models/:ns/:name', access: 'repo-read', cors: true, handle: modelInfo },
  { methods: ['GET'], path: '/api/models/:ns/:name/revision/:rev', access: 'repo-read', cors: true, handle: modelInfo },
  {
    methods: ['POST'],
    path: '/api/models/:ns/:name/preupload/:rev',
    access: 'repo-write',
    body: 'json',
    handle: preupload,
  },
  {
    methods: ['POST'],
    path: '/api/models/:ns/:name/commit/:rev',
    access: 'repo-write',
    body: 'commit',
    handle: commit,
  },
  { methods: ['GET'], path: '/api/models/:ns/:name/tree/:rev/*path?', access: 'repo-read', cors: true, handle: tree },
  {
    methods: ['POST'],
    path: '/api/models/:ns/:name/paths-info/:rev',
    access: 'repo-read',
    body: 'json',
    handle: pathsInfo,
  },
  {
    methods: ['POST'],
    path: '/api/models/:ns/:name/branch/*branch',
    access: 'repo-write',
    body: 'json',
    handle: createBranch,
  },
  { methods: ['GET'], path: '/api/models/:ns/:name/refs', access: 'repo-read', handle: listRefs },
  {
    methods: ['POST'],
    path: '/:ns/:name.git/info/lfs/objects/batch',
    access: 'repo-read',
    body: 'json',
    handle: lfsBatch,
  },
  { methods: ['PUT'], path: '/_lfs/upload/:ticket', access: 'ticket', body: 'upload', handle: basicUpload },
  { methods: ['PUT'], path: '/_lfs/upload/:ticket/part/:part', access: 'ticket', body: 'upload', handle: partUpload },
  { methods: ['POST'], path: '/_lfs/upload/:ticket', access: 'ticket', body: 'json', handle: completeMultipart },
  { methods: ['POST'], path: '/_lfs/verify/:ns/:name', access: 'repo-read', body: 'json', handle: verify },
  { methods: ['GET', 'HEAD'], path: '/_lfs/object/:ns/:name/:oid', access: 'repo-read', handle: lfsDownload },
  {
    methods: ['GET', 'HEAD'],
    path: '/:ns/:name/resolve/:rev/*path',
    access: 'repo-read',
    cors: true,
    handle: resolveFile,
  },
  { methods: ['GET', 'HEAD'], path: '/:ns/:name/raw/:rev/*path', access: 'repo-read', cors: true, handle: resolveFile },
  // the web UI: server-rendered pages after every API route (first match wins); pages check access
  // themselves so that a refusal is an HTML page, with the same status as the API's
  { methods: ['GET', 'HEAD'], path: '/_static/*path', access: 'anyone', handle: serveStatic },
  { methods: ['GET'], path: '/', access: 'anyone', handle: listPage },
  { methods: ['GET'], path: '/login', access: 'anyone', handle: loginPage },
  { methods: ['POST'], path: '/login', access: 'anyone', body: 'json', handle: login },
  { methods: ['POST'], path: '/logout', access: 'anyone', handle: logout },
  { methods: ['GET'], path: '/:ns/:name/report/:rev', access: 'anyone', handle: reportPage },
  { methods: ['GET'], path: '/:ns/:name/tree/:rev/*path?', access: 'anyone', handle: modelPage },
  { methods: ['GET'], path: '/:ns/:name', access: 'anyone', handle: modelPage },
];
