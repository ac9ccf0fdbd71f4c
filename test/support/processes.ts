// The process helpers live in src/dev/processes.ts (the dev stack uses them too); re-exported for the test bed.
export * from '../../src/dev/processes.js';
