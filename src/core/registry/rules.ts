// The registry's rules, as pure changes of a model's state; both stores (IndexedDB, a folder) apply
// them the same way.
//
// - Versions are numbered 1, 2, 3… per model; a number is never given twice.
// - `latest` names the newest live version and moves by itself (registration, deletion, undo).
// - `champion` names the version in use. The first version registered becomes champion (a model
//   always has one while it has versions); later ones become champion only when promoted.
//   Promotion remembers the champion it replaces; a rollback moves champion back to it.
// - Any other alias (lower-case letters, digits, - and _) is set by hand; each alias names one
//   version at a time: setting it moves it, never copies it.
// - Deleting a version hides it for a while (undo), then removes it. The champion's version cannot
//   be deleted while other versions exist: promote another, or roll back, first.
import { ALIAS_LOG_LIMIT, CHAMPION, DEFAULT_RETRAIN_RULE, LATEST, type AliasMove, type DecisionDraft, type ModelChange, type ModelRecord, type ModelState, type ModelVersion, type RetrainDecision, type RetrainRule, type VersionCheckpoint, type VersionDraft } from './types';

/** A registry operation refused; the message says why and what to do. */
export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ALIAS_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** Why a model name cannot be used, or null. It becomes a folder name on the command line. */
export function modelNameProblem(name: string): string | null {
  if (!MODEL_NAME.test(name)) return `"${name}" is not a model name: use 1 to 64 letters, digits, ".", "-" or "_", starting with a letter or digit`;
  return null;
}

export function aliasNameProblem(alias: string): string | null {
  if (!ALIAS_NAME.test(alias)) return `"${alias}" is not an alias: use 1 to 32 lower-case letters, digits, "-" or "_", starting with a letter`;
  return null;
}

export function newModel(name: string, at: string): ModelRecord {
  const problem = modelNameProblem(name);
  if (problem) throw new RegistryError(problem);
  return { name, created_at: at, updated_at: at, description: '', aliases: {}, next_version: 1, previous_champions: [], alias_log: [], retrain_rule: { ...DEFAULT_RETRAIN_RULE }, next_decision: 1 };
}

export const live = (versions: readonly ModelVersion[]) => versions.filter((v) => !v.deleted_at);

/** Aliases of a version, `latest` and `champion` first. */
export function aliasesOf(model: ModelRecord, version: number): string[] {
  const names = Object.entries(model.aliases).filter(([, v]) => v === version).map(([a]) => a);
  const rank = (a: string) => (a === LATEST ? 0 : a === CHAMPION ? 1 : 2);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function cloneModel(model: ModelRecord): ModelRecord {
  return { ...model, aliases: { ...model.aliases }, previous_champions: [...model.previous_champions], alias_log: [...model.alias_log], retrain_rule: { ...model.retrain_rule } };
}

/** Moves (or removes, with null) an alias and logs the move; no log line when nothing moves. */
function move(model: ModelRecord, alias: string, to: number | null, at: string, reason: string): void {
  const from = model.aliases[alias] ?? null;
  if (from === to) return;
  if (to === null) delete model.aliases[alias];
  else model.aliases[alias] = to;
  const entry: AliasMove = { alias, from, to, at, reason };
  model.alias_log.push(entry);
  if (model.alias_log.length > ALIAS_LOG_LIMIT) model.alias_log.splice(0, model.alias_log.length - ALIAS_LOG_LIMIT);
}

/** `latest` on the highest-numbered live version (none when there is none). */
function settleLatest(model: ModelRecord, versions: readonly ModelVersion[], at: string, reason: string): void {
  const newest = live(versions).reduce<number | null>((n, v) => (n === null || v.version > n ? v.version : n), null);
  move(model, LATEST, newest, at, reason);
}

function liveVersion(state: ModelState, name: string, version: number): ModelVersion {
  const v = state.versions.find((x) => x.version === version);
  if (!v) throw new RegistryError(`Model "${name}" has no version ${version}.`);
  if (v.deleted_at) throw new RegistryError(`Version ${version} of "${name}" is deleted; undo the deletion first.`);
  return v;
}

function existing(state: ModelState, name: string): ModelRecord {
  if (!state.model) throw new RegistryError(`There is no model "${name}" in this registry.`);
  return cloneModel(state.model);
}

/** A new version: the next number, `latest` on it, and `champion` too when the model has none. */
export function registerChange(state: ModelState, name: string, draft: VersionDraft, checkpoint: VersionCheckpoint, at: string): { change: ModelChange; result: ModelVersion } {
  const model = state.model ? cloneModel(state.model) : newModel(name, at);
  // whatever loads the model (the champion's ONNX file) must be able to load any version of it
  const peer = live(state.versions).sort((a, b) => b.version - a.version)[0];
  if (peer && (peer.io.obs_size !== draft.io.obs_size || peer.io.action_names.join('\u0000') !== draft.io.action_names.join('\u0000'))) {
    throw new RegistryError(`v${peer.version} of "${name}" takes ${peer.io.obs_size} observations and chooses among ${peer.io.action_names.join(', ')}; this model takes ${draft.io.obs_size} and chooses among ${draft.io.action_names.join(', ')}. A model's versions take the same inputs and give the same outputs: register it under another name.`);
  }
  const number = model.next_version;
  const version: ModelVersion = { ...draft, model: name, version: number, created_at: at, tags: [...draft.tags], notes: draft.notes };
  model.next_version = number + 1;
  model.updated_at = at;
  settleLatest(model, [...state.versions, version], at, `v${number} registered`);
  if (model.aliases[CHAMPION] === undefined) move(model, CHAMPION, number, at, number === 1 ? 'the first version of a model becomes its champion' : 'the model had no champion');
  return { change: { model, versions: [version], checkpoint: { version: number, value: checkpoint } }, result: version };
}

/** Sets a custom alias on a version (moving it from wherever it was), or removes it (null). */
export function aliasChange(state: ModelState, name: string, alias: string, version: number | null, at: string, reason = 'set by hand'): { change: ModelChange | null; result: ModelRecord } {
  const model = existing(state, name);
  if (alias === LATEST) throw new RegistryError('"latest" always names the newest version and moves by itself; set another alias.');
  if (alias === CHAMPION) {
    if (version === null) throw new RegistryError('A model with versions always has a champion; promote another version instead of removing it.');
    return promoteChange(state, name, version, reason, at);
  }
  const problem = aliasNameProblem(alias);
  if (problem) throw new RegistryError(problem);
  if (version !== null) liveVersion(state, name, version);
  move(model, alias, version, at, reason);
  model.updated_at = at;
  return { change: { model }, result: model };
}

/** Champion on `version`; the one it replaces is remembered for a rollback. Promoting the champion changes nothing. */
export function promoteChange(state: ModelState, name: string, version: number, reason: string, at: string): { change: ModelChange | null; result: ModelRecord } {
  const model = existing(state, name);
  liveVersion(state, name, version);
  const current = model.aliases[CHAMPION] ?? null;
  if (current === version) return { change: null, result: model };
  if (current !== null) model.previous_champions.push(current);
  move(model, CHAMPION, version, at, reason || 'promoted');
  model.updated_at = at;
  return { change: { model }, result: model };
}

/** Champion back on the champion before it (skipping versions deleted since). */
export function rollbackChange(state: ModelState, name: string, at: string, reason?: string): { change: ModelChange; result: ModelRecord } {
  const model = existing(state, name);
  const current = model.aliases[CHAMPION] ?? null;
  const isLive = (n: number) => state.versions.some((v) => v.version === n && !v.deleted_at);
  while (model.previous_champions.length) {
    const back = model.previous_champions.pop()!;
    if (back === current || !isLive(back)) continue;
    move(model, CHAMPION, back, at, reason || `rolled back from v${current ?? '—'}`);
    model.updated_at = at;
    return { change: { model }, result: model };
  }
  throw new RegistryError(`"${name}" has no earlier champion to roll back to${current === null ? '' : ` (v${current} has been champion since the model's first promotion)`}.`);
}

/** Tags and notes of a version. */
export function editChange(state: ModelState, name: string, version: number, patch: { tags?: readonly string[]; notes?: string }, at: string): { change: ModelChange; result: ModelVersion } {
  const model = existing(state, name);
  const v = liveVersion(state, name, version);
  const tags = patch.tags ? [...new Set(patch.tags.map((t) => t.trim()).filter(Boolean))] : v.tags;
  for (const t of tags) if (t.length > 64) throw new RegistryError(`The tag "${t.slice(0, 20)}…" is longer than 64 characters.`);
  const notes = patch.notes ?? v.notes;
  if (notes.length > 10_000) throw new RegistryError('Notes are limited to 10,000 characters.');
  const updated: ModelVersion = { ...v, tags, notes };
  model.updated_at = at;
  return { change: { model, versions: [updated] }, result: updated };
}

/**
 * Hides a version until it is restored or purged. Refused for the champion's version while other
 * versions exist. Its aliases come off it (latest moves to the newest live version) and are
 * remembered for an undo.
 */
export function trashChange(state: ModelState, name: string, version: number, at: string): { change: ModelChange; result: ModelVersion } {
  const model = existing(state, name);
  const v = liveVersion(state, name, version);
  const others = live(state.versions).filter((x) => x.version !== version);
  if (model.aliases[CHAMPION] === version && others.length) {
    throw new RegistryError(`v${version} is the champion of "${name}" and cannot be deleted while other versions exist: promote another version (or roll back) first.`);
  }
  const held = aliasesOf(model, version);
  for (const alias of held) if (alias !== LATEST) move(model, alias, null, at, `v${version} deleted`);
  const trashed: ModelVersion = { ...v, deleted_at: at, deleted_aliases: held };
  settleLatest(model, state.versions.map((x) => (x.version === version ? trashed : x)), at, `v${version} deleted`);
  model.updated_at = at;
  return { change: { model, versions: [trashed] }, result: trashed };
}

/** Brings a deleted version back, with the aliases it held where they are still free. */
export function restoreChange(state: ModelState, name: string, version: number, at: string): { change: ModelChange; result: ModelVersion } {
  const model = existing(state, name);
  const v = state.versions.find((x) => x.version === version);
  if (!v) throw new RegistryError(`Model "${name}" has no version ${version} (it may have been removed for good).`);
  if (!v.deleted_at) return { change: { model }, result: v };
  const restored: ModelVersion = { ...v };
  delete restored.deleted_at;
  const held = restored.deleted_aliases ?? [];
  delete restored.deleted_aliases;
  for (const alias of held) if (alias !== LATEST && model.aliases[alias] === undefined) move(model, alias, version, at, `v${version} restored`);
  const versions = state.versions.map((x) => (x.version === version ? restored : x));
  settleLatest(model, versions, at, `v${version} restored`);
  // a model with live versions has a champion
  if (model.aliases[CHAMPION] === undefined) move(model, CHAMPION, version, at, `v${version} restored; the model had no champion`);
  model.updated_at = at;
  return { change: { model, versions: [restored] }, result: restored };
}

/** Removes deleted versions for good (those still deleted; others are left alone). */
export function purgeChange(state: ModelState, _name: string, versions: readonly number[], at: string): { change: ModelChange | null; result: number[] } {
  if (!state.model) return { change: null, result: [] };
  const gone = versions.filter((n) => state.versions.some((v) => v.version === n && v.deleted_at));
  if (!gone.length) return { change: null, result: [] };
  const model = cloneModel(state.model);
  model.previous_champions = model.previous_champions.filter((n) => !gone.includes(n));
  model.updated_at = at;
  return { change: { model, purge: gone }, result: gone };
}

export function retrainRuleProblems(rule: RetrainRule): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(rule.minNewRows) || rule.minNewRows < 1) problems.push('minNewRows must be a whole number of at least 1');
  if (!['off', 'psi', 'ks'].includes(rule.drift)) problems.push('drift must be off, psi or ks');
  if (!(rule.psiThreshold > 0)) problems.push('psiThreshold must be above 0');
  if (!(rule.ksAlpha > 0 && rule.ksAlpha < 1)) problems.push('ksAlpha must lie between 0 and 1');
  if (!(rule.checkEveryMinutes >= 1)) problems.push('checkEveryMinutes must be at least 1');
  return problems;
}

export function ruleChange(state: ModelState, name: string, rule: RetrainRule, at: string): { change: ModelChange; result: ModelRecord } {
  const model = existing(state, name);
  const problems = retrainRuleProblems(rule);
  if (problems.length) throw new RegistryError(`The retrain rule of "${name}": ${problems.join('; ')}.`);
  model.retrain_rule = { ...rule };
  model.updated_at = at;
  return { change: { model }, result: model };
}

export function decisionChange(state: ModelState, name: string, draft: DecisionDraft): { change: ModelChange; result: RetrainDecision } {
  const model = existing(state, name);
  const decision: RetrainDecision = { ...draft, id: model.next_decision, model: name };
  model.next_decision += 1;
  return { change: { model, decision }, result: decision };
}
