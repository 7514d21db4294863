// The tool's name and version, read from package.json: beside app/ in the repository, one level
// further up from dist/app/ once built. A module of its own, so that --version loads nothing else.
import { readFileSync } from 'node:fs';

const PACKAGE_JSON = new URL(import.meta.url.endsWith('.js') ? '../../package.json' : '../package.json', import.meta.url);
export const TOOL = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { name: string; version: string };
