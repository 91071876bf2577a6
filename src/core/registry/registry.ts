// The model registry's verbs over either store (IndexedDB in the page, a folder on the command
// line): each reads the model's state, applies one of rules.ts's changes and writes it all or
// nothing. What the Models view, the retrain work and the command line call.
import { CHAMPION, type DecisionDraft, type ModelRecord, type ModelVersion, type RegistryRepository, type RetrainDecision, type RetrainRule, type VersionCheckpoint, type VersionDraft } from './types';
import { aliasChange, decisionChange, editChange, promoteChange, purgeChange, RegistryError, registerChange, restoreChange, rollbackChange, ruleChange, trashChange } from './rules';

export class ModelRegistry {
  constructor(readonly repository: RegistryRepository, private readonly clock: () => Date = () => new Date()) {}

  private now(): string {
    return this.clock().toISOString();
  }

  listModels(): Promise<ModelRecord[]> {
    return this.repository.listModels();
  }

  getModel(name: string): Promise<ModelRecord | null> {
    return this.repository.getModel(name);
  }

  /** A model's versions by number, without their checkpoints; deleted ones (in their undo window) only when asked. */
  async listVersions(name: string, opts: { deleted?: boolean } = {}): Promise<ModelVersion[]> {
    const all = await this.repository.listVersions(name);
    return opts.deleted ? all : all.filter((v) => !v.deleted_at);
  }

  async getVersion(name: string, version: number): Promise<ModelVersion | null> {
    return (await this.repository.listVersions(name)).find((v) => v.version === version) ?? null;
  }

  /** The version an alias names (`champion`, `latest`, …), or null. */
  async versionByAlias(name: string, alias: string): Promise<ModelVersion | null> {
    const model = await this.getModel(name);
    const n = model?.aliases[alias];
    return n === undefined ? null : this.getVersion(name, n);
  }

  /** The checkpoint and run config of a version; throws when there is none. */
  async versionCheckpoint(name: string, version: number): Promise<VersionCheckpoint> {
    const c = await this.repository.versionCheckpoint(name, version);
    if (!c) throw new RegistryError(`Version ${version} of "${name}" has no checkpoint in this registry.`);
    return c;
  }

  /** A new version of `name` (the model is made on its first version): the next number, `latest` on it, `champion` if it had none. */
  registerVersion(name: string, draft: VersionDraft, checkpoint: VersionCheckpoint): Promise<ModelVersion> {
    const at = this.now();
    return this.repository.transact(name, (state) => registerChange(state, name, draft, checkpoint, at));
  }

  /** Puts a custom alias on a version, moving it from any other; `null` removes it. `champion` promotes; `latest` is refused. */
  setAlias(name: string, alias: string, version: number | null, reason?: string): Promise<ModelRecord> {
    const at = this.now();
    return this.repository.transact(name, (state) => aliasChange(state, name, alias, version, at, reason));
  }

  /** Makes `version` the champion; the champion it replaces can be rolled back to. */
  promote(name: string, version: number, reason: string): Promise<ModelRecord> {
    const at = this.now();
    return this.repository.transact(name, (state) => promoteChange(state, name, version, reason, at));
  }

  /** Moves champion back to the champion before it. */
  rollback(name: string, reason?: string): Promise<ModelRecord> {
    const at = this.now();
    return this.repository.transact(name, (state) => rollbackChange(state, name, at, reason));
  }

  editVersion(name: string, version: number, patch: { tags?: readonly string[]; notes?: string }): Promise<ModelVersion> {
    const at = this.now();
    return this.repository.transact(name, (state) => editChange(state, name, version, patch, at));
  }

  /** Hides a version (restorable until purged); refused for the champion while other versions exist. */
  deleteVersion(name: string, version: number): Promise<ModelVersion> {
    const at = this.now();
    return this.repository.transact(name, (state) => trashChange(state, name, version, at));
  }

  restoreVersion(name: string, version: number): Promise<ModelVersion> {
    const at = this.now();
    return this.repository.transact(name, (state) => restoreChange(state, name, version, at));
  }

  /** Removes a deleted version for good; a version restored meanwhile is left. Returns whether it went. */
  async purgeVersion(name: string, version: number): Promise<boolean> {
    const at = this.now();
    return (await this.repository.transact(name, (state) => purgeChange(state, name, [version], at))).length > 0;
  }

  /** Removes for good every version deleted at least `olderThanMs` ago (undo windows a closed tab left open). */
  async purgeDeleted(olderThanMs: number): Promise<{ model: string; version: number }[]> {
    const now = this.clock().getTime();
    const purged: { model: string; version: number }[] = [];
    for (const model of await this.listModels()) {
      const due = (await this.repository.listVersions(model.name)).filter((v) => v.deleted_at && now - Date.parse(v.deleted_at) >= olderThanMs).map((v) => v.version);
      if (!due.length) continue;
      const at = this.now();
      for (const version of await this.repository.transact(model.name, (state) => purgeChange(state, model.name, due, at))) purged.push({ model: model.name, version });
    }
    return purged;
  }

  setRetrainRule(name: string, rule: RetrainRule): Promise<ModelRecord> {
    const at = this.now();
    return this.repository.transact(name, (state) => ruleChange(state, name, rule, at));
  }

  /** Keeps a retrain decision with the model (numbered 1, 2, …). */
  recordDecision(name: string, decision: DecisionDraft): Promise<RetrainDecision> {
    return this.repository.transact(name, (state) => decisionChange(state, name, decision));
  }

  listDecisions(name: string): Promise<RetrainDecision[]> {
    return this.repository.listDecisions(name);
  }

  /** The champion's version number, or null. */
  async champion(name: string): Promise<number | null> {
    return (await this.getModel(name))?.aliases[CHAMPION] ?? null;
  }
}
