// The action's `args` input (INPUT_ARGS) split into words as a shell splits them: quotes ('...',
// "..."), backslash escapes and blanks, by shell-quote's parser; nothing is run or expanded. An
// unquoted glob (auth.*) stays as written, as no file names are expanded. A variable ($X),
// command substitution, an operator (; | && > ...) is refused: one line on stderr, exit 2.
// The words go to stdout, each ended by a NUL byte (scripts/action.sh reads them with mapfile).
import process from 'node:process';
import { parse } from 'shell-quote';

const text = process.env.INPUT_ARGS ?? '';
const words = [];
for (const entry of parse(text, (name) => ({ variable: name }))) {
  if (typeof entry === 'string' && !entry.includes('`')) words.push(entry);
  else if (typeof entry === 'object' && 'op' in entry && entry.op === 'glob') words.push(entry.pattern);
  else if (typeof entry === 'object' && 'comment' in entry) break; // a shell ignores the rest of the line after #
  else {
    const what =
      typeof entry === 'string' ? 'command substitution (`...`)'
        : 'variable' in entry ? (entry.variable ? `the variable $${entry.variable}` : 'command substitution ($(...))')
          : `the shell operator ${entry.op}`;
    process.stderr.write(`args: ${what} is not expanded or run here: pass values as plain words (in a workflow, with \${{ }} expressions)\n`);
    process.exit(2);
  }
}
process.stdout.write(words.map((w) => `${w}\0`).join(''));
