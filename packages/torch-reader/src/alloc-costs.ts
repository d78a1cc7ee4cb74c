// What the unpickler's allocation budget charges per value it builds, from V8's sizes on a 64-bit
// build (measured with --expose-gc): an array or map slot with growth slack, a small object (tuple,
// set, record, array header), an empty Map, and one more Map entry.
export const SLOT = 16;
export const OBJECT = 96;
export const MAP = 192;
export const MAP_ENTRY = 48;
