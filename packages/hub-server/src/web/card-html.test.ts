import { describe, expect, it } from 'vitest';
import { renderCard } from './card-html.js';

const BASE = '/acme/m/resolve/0123456789012345678901234567890123456789/';
const render = (md: string, files: string[] = []): string =>
  renderCard(md, BASE, (p) => files.includes(p), '/acme/m').body.text;

describe('renderCard', () => {
  it('renders headings, tables and code, and leaves out the front matter', () => {
    const out = render(
      '---\nlicense: mit\n---\n# Title\n\n## Results\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n```py\nx = 1\n```\n',
    );
    expect(out).toContain('<h1>Title</h1>');
    expect(out).toContain('<h2>Results</h2>');
    expect(out).toMatch(/<table>[\s\S]*<th>a<\/th>[\s\S]*<td>2<\/td>/);
    expect(out).toContain('<code class="language-py">');
    expect(out).not.toContain('license');
  });

  it('drops scripts, event handlers, javascript: URLs, SVG and frames', () => {
    const out = render(
      [
        "<script>alert('s')</script>",
        '<img src=x onerror="alert(1)">',
        "[link](javascript:alert('l'))",
        '<a href="JaVaScRiPt:alert(1)">mixed</a>',
        '<a href="java&#x09;script:alert(1)">tab</a>',
        '<svg onload="alert(1)"><script>alert(2)</script></svg>',
        '<iframe src="javascript:alert(1)"></iframe>',
        '<p style="background:url(javascript:alert(1))" onclick="x()">p</p>',
        '<a href="data:text/html,<script>alert(1)</script>">data</a>',
      ].join('\n\n'),
    );
    expect(out).not.toMatch(/<script|<svg|<iframe|onerror|onload|onclick|style=|javascript:|data:text/i);
    expect(out).toContain('link');
    expect(out).toContain('<p>p</p>');
  });

  it('points relative links and images into the repo and drops images that are not repo files', () => {
    const out = render(
      '[cfg](./config.json) [top](#usage) [abs](https://example.org/x) ![logo](img/logo.png) ![gone](nope.png) ![far](https://example.org/x.png)',
      ['img/logo.png'],
    );
    expect(out).toContain(`href="${BASE}config.json"`);
    expect(out).toContain('href="/acme/m#usage"');
    expect(out).toContain('href="https://example.org/x"');
    expect(out).toContain(`src="${BASE}img/logo.png"`);
    expect(out).not.toContain('nope.png');
    expect(out).not.toContain('x.png');
    expect(out).toContain('rel="nofollow noopener noreferrer"');
  });
});
