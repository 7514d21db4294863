// The shapes a key is sent in. A probe's header values, query values and body are templates over
// the key: `{value}` is the whole header value ("Basic <token>"), `{token}` the part after the
// scheme; `|name` or `|name:N` applies a transform, left to right. Templates are plain strings,
// so a catalog is data that --plan, --list and the suites share without rebuilding it.

/** The key a template is filled from: the whole header value and the token after "Basic ". */
export interface KeyParts {
  value: string;
  token: string;
}

export const keyParts = (value: string): KeyParts => ({ value, token: value.replace(/^\S+\s+/, '') });
export const NO_KEY: KeyParts = { value: '', token: '' };

const swapCase = (s: string) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');

/** Transforms by name; N is the number after the colon. */
export const TRANSFORMS: Record<string, (s: string, n: number) => string> = {
  swapcase: (s) => swapCase(s),
  'head': (s, n) => s.slice(0, n),
  'from': (s, n) => s.slice(n),
  'drop-end': (s, n) => s.slice(0, Math.max(0, s.length - n)),
  uri: (s) => encodeURIComponent(s),
  json: (s) => JSON.stringify(s).slice(1, -1),
};

const PLACEHOLDER = /\{(value|token)((?:\|[a-z-]+(?::\d+)?)*)\}/g;

/** Fills a template from the key. An unknown transform is a bug of the catalog: it throws. */
export function fill(template: string, k: KeyParts): string {
  return template.replace(PLACEHOLDER, (_, part: 'value' | 'token', chain: string) =>
    chain
      .split('|')
      .slice(1)
      .reduce((s, step) => {
        const [name, n] = step.split(':') as [string, string | undefined];
        const f = TRANSFORMS[name];
        if (!f) throw new Error(`unknown key transform "${name}" in template ${JSON.stringify(template)}`);
        return f(s, Number(n ?? 0));
      }, k[part]),
  );
}

/** The placeholder-free text of a template, for --plan: `{token|head:8}` reads "<token|head:8>". */
export const describeTemplate = (template: string): string => template.replace(PLACEHOLDER, (_, part: string, chain: string) => `<${part}${chain}>`);
