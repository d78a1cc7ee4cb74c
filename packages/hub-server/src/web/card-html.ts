import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { extractFrontMatter } from '../card.js';
import { SafeHtml } from './html.js';

// One Marked instance with GitHub-flavoured Markdown (tables) and no raw-HTML trust: whatever HTML the
// card holds goes through sanitize-html below, which is the only gate.
const markdown = new Marked({ gfm: true, async: false });

/** Tags and attributes a card may keep; everything else (script, style, svg, iframe, on* handlers) is dropped. */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'span', 'div'],
    ...['ul', 'ol', 'li', 'dl', 'dt', 'dd', 'a', 'img', 'em', 'strong', 'del', 's', 'sub', 'sup', 'kbd'],
    ...['table', 'thead', 'tbody', 'tr', 'th', 'td', 'details', 'summary', 'input'],
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    code: ['class'],
    th: ['align'],
    td: ['align'],
    input: ['type', 'checked', 'disabled'],
  },
  allowedClasses: { code: [/^language-[\w+-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  exclusiveFilter: (frame) => frame.tag === 'input' && frame.attribs.type !== 'checkbox',
};

/** A rendered card: its front matter (parsed by the caller within the card limits) and its body as safe HTML. */
export interface RenderedCard {
  body: SafeHtml;
}

/**
 * Markdown to HTML for a model card, sanitised: no scripts, event handlers, `javascript:`/`data:` URLs or
 * SVG survive. Relative links and images point into the repo at `fileBase` (…/resolve/REV/). Images show
 * only when they are files of the repo (`hasFile`): others could not load under the page's CSP anyway.
 */
export function renderCard(
  text: string,
  fileBase: string,
  hasFile: (path: string) => boolean,
  /** The page's own path: `#fragment` links get it, since the page sets a <base> (see layout). */
  pagePath = '',
): RenderedCard {
  const block = extractFrontMatter(text);
  let body = text;
  if ('yaml' in block) {
    const end = text.indexOf('\n', text.indexOf('\n---', 3) + 1);
    body = end < 0 ? '' : text.slice(end + 1);
  }
  const raw = markdown.parse(body) as string;
  const clean = sanitizeHtml(raw, {
    ...SANITIZE,
    transformTags: {
      a: (tag, attribs) => ({
        tagName: tag,
        attribs: {
          ...attribs,
          ...(attribs.href && { href: resolveLink(attribs.href, fileBase, pagePath) }),
          rel: 'nofollow noopener noreferrer',
        },
      }),
      img: (tag, attribs) => {
        const file = attribs.src ? repoFile(attribs.src) : null;
        // an unknown tag name is discarded by the allow-list, so this drops the image
        if (file === null || !hasFile(file)) return { tagName: 'dropped-image', attribs: {} };
        return {
          tagName: tag,
          attribs: { ...attribs, src: `${fileBase}${file.split('/').map(encodeURIComponent).join('/')}` },
        };
      },
    },
  });
  return { body: new SafeHtml(clean) };
}

/** The repo path a relative URL names (no scheme, host, query or fragment), else null. */
function repoFile(url: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || /^[/\\#?]/.test(url) || /[?#]/.test(url)) return null;
  try {
    return decodeURIComponent(url.replace(/^\.\//, ''));
  } catch {
    return null;
  }
}

/** A link relative to the card (no scheme, not absolute, not a fragment) points at the repo's file. */
function resolveLink(href: string, fileBase: string, pagePath: string): string {
  if (href.startsWith('#')) return `${pagePath}${href}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/') || href.startsWith('#') || href.startsWith('?'))
    return href;
  return `${fileBase}${href.replace(/^\.\//, '')}`;
}
