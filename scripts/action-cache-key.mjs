// The cache key of the action's installed tool (node_modules/ and the built dist/, action.yml):
// the platform, Node's major version and the sha256 of everything the build is made from, the
// lockfile included (scripts/build-inputs.mjs). Printed as `key=...` and `dir=...` (the action's
// directory) for $GITHUB_OUTPUT: a job whose key was cached before starts without npm ci or a build.
import { dirname } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { inputsSha256 } from './build-inputs.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const node = process.versions.node.split('.')[0];
process.stdout.write(`key=ffmpeg-api-conformance-${process.platform}-${process.arch}-node${node}-${inputsSha256(root)}\ndir=${root}\n`);
