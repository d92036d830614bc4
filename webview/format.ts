/** The timeline's text comes from the one home of every phrase, shared with the CLI and the editor. */
export * from '../src/shared/phrases';
