import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const README_MAX_LINES = 250;

const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Relative link targets of a markdown text (`[text](target)`), `file#anchor` kept; outside URLs left out. */
function links(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] as string);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}
const relativeLinks = (markdown: string) => links(markdown).filter((t) => !t.startsWith('#')).map((t) => t.split('#')[0] as string);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens (github-slugger's rule). */
function anchors(markdown: string): Set<string> {
  const headings = markdown.replace(/```[\s\S]*?```/g, '').split('\n').flatMap((l) => /^#{1,6}\s+(.*)$/.exec(l)?.[1] ?? []);
  return new Set(headings.map((h) => h.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')));
}

describe('README is a quick start that links its reference docs', () => {
  it(`when README.md is read, then it has at most ${README_MAX_LINES} lines`, () => {
    const lines = read('README.md').split('\n');
    const count = lines.at(-1) === '' ? lines.length - 1 : lines.length;
    expect(count, `README.md has ${count} lines; move reference material to docs/<topic>.md`).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('when README.md links a docs/ file, then that file exists', () => {
    const docs = relativeLinks(read('README.md')).filter((t) => t.startsWith('docs/'));
    expect(docs.length, 'README links no docs/ file at all').toBeGreaterThan(0);
    const missing = docs.filter((t) => !existsSync(path.join(root, t)));
    expect(missing, 'README links docs/ files that do not exist').toEqual([]);
  });

  it('when README.md or a docs/ page links a #section, then that heading exists', () => {
    const pages = ['README.md', ...new Set(relativeLinks(read('README.md')).filter((t) => t.startsWith('docs/') && t.endsWith('.md')))].filter((p) => existsSync(path.join(root, p)));
    const broken = pages.flatMap((page) =>
      links(read(page))
        .filter((t) => t.includes('#'))
        .filter((t) => {
          const [file = '', anchor = ''] = t.split('#');
          const target = file === '' ? page : path.join(path.dirname(page), file);
          return target.endsWith('.md') && existsSync(path.join(root, target)) && !anchors(read(target)).has(anchor);
        })
        .map((t) => `${page} → ${t}`),
    );
    expect(broken).toEqual([]);
  });

  it('when a docs/ page links another file of the repository, then that file exists', () => {
    const pages = relativeLinks(read('README.md')).filter((t) => t.startsWith('docs/') && t.endsWith('.md') && existsSync(path.join(root, t)));
    const broken = [...new Set(pages)].flatMap((page) =>
      relativeLinks(read(page))
        .filter((t) => t !== '')
        .filter((t) => !existsSync(path.join(root, path.dirname(page), t)))
        .map((t) => `${page} → ${t}`),
    );
    expect(broken).toEqual([]);
  });
});

describe('link and anchor reading', () => {
  it('when a text has outside URLs, anchors and relative links, then only the relative files are returned, without anchors', () => {
    const md = 'See [ops](docs/operations.md#benchmarks), [here](#testing), [Slack](https://api.slack.com/apps), [m](manifest.yml) and [t](docs/x.md "title").';
    expect(relativeLinks(md)).toEqual(['docs/operations.md', 'manifest.yml', 'docs/x.md']);
  });

  it('when headings have code, slashes and parentheses, then their anchors are the ones GitHub makes', () => {
    const md = '# Title\n## `/orch` commands\n### Events (ingest)\n```\n## not a heading\n```\n## Slack app setup';
    expect([...anchors(md)]).toEqual(['title', 'orch-commands', 'events-ingest', 'slack-app-setup']);
  });
});
