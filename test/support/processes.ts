// The process helpers live in src/cli/dev/processes.ts (the dev stack uses them too); re-exported for the test bed.
export * from '../../src/cli/dev/processes.js';
