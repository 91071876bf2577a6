// How long a deleted model version can be brought back before it is removed for good.
export const UNDO_MS = 10_000;
