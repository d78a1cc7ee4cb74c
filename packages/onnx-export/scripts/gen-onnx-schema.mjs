#!/usr/bin/env node
// Regenerates src/generated/onnx-schema.json: the protobufjs JSON descriptor of onnx.proto (the ONNX IR schema).
// It is data (protobufjs reflection reads it at load time), so it is JSON rather than a TypeScript literal.
// Usage: node scripts/gen-onnx-schema.mjs path/to/onnx.proto   (the onnx pip package ships onnx.proto)
import { readFileSync, writeFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const src = process.argv[2];
if (!src) throw new Error('usage: gen-onnx-schema.mjs path/to/onnx.proto');
const parsed = protobuf.parse(readFileSync(src, 'utf8'), { keepCase: true });
const json = parsed.root.toJSON();
const out = new URL('../src/generated/onnx-schema.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(json, null, 1)}\n`);
console.log(`wrote ${out.pathname} (package ${parsed.package})`);
