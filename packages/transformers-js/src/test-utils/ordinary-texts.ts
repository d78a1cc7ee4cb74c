import { seededRandom } from '#test-support';

const WORDS = (
  'a photo of the dog cat car house tree sky beautiful red small large running jumping painting astronaut ' +
  "riding horse diagram city night street food pizza coffee mountain river ocean sunset portrait don't it's " +
  "we're they've I'm you'll he'd CAN'T O'Brien e-mail state-of-the-art café naïve résumé Zürich Straße jalapeño"
).split(' ');
const EXTRAS = [
  '😀',
  '🐶',
  '👍🏽',
  '🇯🇵',
  '❤️',
  '☕',
  '🍕🍕',
  'e\u0301',
  '\u2019s',
  '\u201cquoted\u201d',
  '...',
  '!?',
  '#1',
  '$9.99',
  '50%',
  '(x)',
  'a/b',
  '3.14',
  '2024-01-01',
  '@home',
];

/** Ordinary caption-like texts: mixed case, punctuation, digits, accents, emoji, curly quotes; every 10th over-long. */
export function ordinaryTexts(count: number, seed = 13): string[] {
  const rand = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = i % 10 === 9 ? 80 + Math.floor(rand() * 60) : 1 + Math.floor(rand() * 14);
    const parts: string[] = [];
    for (let k = 0; k < n; k++) {
      let w = rand() < 0.15 ? pick(EXTRAS) : pick(WORDS);
      const r = rand();
      if (r < 0.1) w = w.toUpperCase();
      else if (r < 0.2) w = w.charAt(0).toUpperCase() + w.slice(1);
      if (rand() < 0.1) w += pick([',', '.', '!', '?', ';', ':']);
      if (rand() < 0.05) w = String(Math.floor(rand() * 10000));
      parts.push(w);
    }
    texts.push(parts.join(rand() < 0.05 ? '  ' : ' '));
  }
  return texts;
}
