// The model registry in a folder, for the command line (npm run retrain): the same repository as the
// browser's IndexedDB one, so the same rules and verbs (core/registry/registry.ts) work on it.
//
//   <dir>/<model>/registry.json      the model's record (aliases, previous champions, alias moves,
//                                    retrain rule) and its versions' records; the commit point
//   <dir>/<model>/v<N>/              each version's files: model.json, weights.bin, model.onnx,
//                                    model_card.json, model_card.md, run/config.json, run/trainer_state.json
//   <dir>/<model>/champion.onnx      the champion's model.onnx, replaced atomically when champion moves
//   <dir>/<model>/decisions.jsonl    retrain decisions, one a line
//
// A write is all or nothing: a new version's folder is written under a temporary name and renamed,
// then registry.json is written to a temporary file and renamed over the old one (the moment the
// change happens); champion.onnx follows the same way. A crash before the rename leaves the
// registry as it was (a stray folder is removed on the next write); champion.onnx is put right on
// the next write if a crash came between. One process writes a model at a time (a lock folder).
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportOnnx } from '../algos/onnxExport';
import { RUN_FORMATS } from '../algos/registry';
import { ModelRegistry } from '../core/registry/registry';
import { aliasesOf, modelNameProblem, RegistryError } from '../core/registry/rules';
import { decisionLine, parseDecisionsJsonl, parseRegistryJson, registryJson } from '../core/registry/registryJson';
import { CHAMPION, type ModelChange, type ModelState, type ModelVersion, type RegistryRepository, type VersionCheckpoint } from '../core/registry/types';
import { readVersionFiles, VERSION_FILES } from '../core/registry/versionZip';
import { versionFolderFiles, type OnnxExporter } from '../services/registry';

export const REGISTRY_FILE = 'registry.json';
export const CHAMPION_FILE = 'champion.onnx';
export const DECISIONS_FILE = 'decisions.jsonl';

export interface FolderRegistryOptions {
  /** A new version's files; by default its model files, ONNX and card. A TensorFlow.js backend must be started. */
  files?: (version: ModelVersion, aliases: readonly string[], checkpoint: VersionCheckpoint) => Promise<Record<string, Uint8Array>>;
  /** The ONNX export (the lab's by default; null writes no model.onnx, and then no champion.onnx). */
  onnx?: OnnxExporter | null;
}

/** Writes a file atomically: a temporary file beside it, then a rename over it. */
export function writeAtomically(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

export function folderRegistryRepository(dir: string, opts: FolderRegistryOptions = {}): RegistryRepository {
  const modelDir = (name: string) => {
    const problem = modelNameProblem(name);
    if (problem) throw new RegistryError(problem);
    return join(dir, name);
  };
  const versionDir = (name: string, version: number) => join(modelDir(name), `v${version}`);
  const files = opts.files ?? ((v, aliases, c) => versionFolderFiles(v, aliases, c, opts.onnx === undefined ? exportOnnx : opts.onnx));

  const read = (name: string): ModelState => {
    const path = join(modelDir(name), REGISTRY_FILE);
    if (!existsSync(path)) return { model: null, versions: [] };
    return parseRegistryJson(readFileSync(path, 'utf8'), path, name);
  };

  /** champion.onnx is the champion's model.onnx (absent when it has none). */
  const settleChampionFile = (name: string, champion: number | null) => {
    const target = join(modelDir(name), CHAMPION_FILE);
    const source = champion === null ? null : join(versionDir(name, champion), 'model.onnx');
    if (!source || !existsSync(source)) {
      rmSync(target, { force: true });
      return;
    }
    if (existsSync(target) && readFileSync(target).equals(readFileSync(source))) return;
    const tmp = `${target}.tmp-${process.pid}`;
    copyFileSync(source, tmp);
    renameSync(tmp, target);
  };

  const withLock = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    mkdirSync(modelDir(name), { recursive: true });
    const lock = join(modelDir(name), '.lock');
    try {
      mkdirSync(lock);
    } catch {
      throw new RegistryError(`${lock} exists: another process is writing model "${name}" (if none is, remove that folder and try again).`);
    }
    try {
      return await work();
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  };

  const writeVersionFolder = async (name: string, version: ModelVersion, change: ModelChange) => {
    const final = versionDir(name, version.version);
    const tmp = join(modelDir(name), `.v${version.version}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    // a folder of that number not in registry.json is what an interrupted write left
    rmSync(final, { recursive: true, force: true });
    const out = await files(version, aliasesOf(change.model, version.version), change.checkpoint!.value);
    for (const [path, bytes] of Object.entries(out)) {
      mkdirSync(dirname(join(tmp, path)), { recursive: true });
      writeFileSync(join(tmp, path), bytes);
    }
    renameSync(tmp, final);
  };

  return {
    async listModels() {
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((n) => !modelNameProblem(n) && existsSync(join(dir, n, REGISTRY_FILE)))
        .sort()
        .map((n) => read(n).model!)
        .filter(Boolean);
    },
    getModel: async (name) => read(name).model,
    listVersions: async (name) => read(name).versions,
    async versionCheckpoint(name, version) {
      const folder = versionDir(name, version);
      if (!read(name).versions.some((v) => v.version === version) || !existsSync(folder)) return null;
      const found = new Map<string, Uint8Array>();
      const extras = new Set(Object.values(RUN_FORMATS).flatMap((f) => f.extraFileNames).map((f) => `run/${f}`));
      // model.onnx is not needed to play or compare the version
      for (const relative of [...VERSION_FILES.filter((f) => f !== 'model.onnx'), ...extras]) {
        const path = join(folder, relative);
        if (existsSync(path) && statSync(path).isFile()) found.set(relative, new Uint8Array(readFileSync(path)));
      }
      return readVersionFiles(found, folder, RUN_FORMATS, (message) => { throw new RegistryError(message); }).checkpoint;
    },
    async listDecisions(name) {
      const path = join(modelDir(name), DECISIONS_FILE);
      return existsSync(path) ? parseDecisionsJsonl(readFileSync(path, 'utf8'), path) : [];
    },
    transact: (name, decide) => withLock(name, async () => {
      const state = read(name);
      const { change, result } = decide(state);
      if (!change) return result;
      const added = change.checkpoint ? change.versions?.find((v) => v.version === change.checkpoint!.version) : undefined;
      if (added) await writeVersionFolder(name, added, change);
      const versions = new Map(state.versions.map((v) => [v.version, v]));
      for (const v of change.versions ?? []) versions.set(v.version, v);
      for (const n of change.purge ?? []) versions.delete(n);
      try {
        writeAtomically(join(modelDir(name), REGISTRY_FILE), registryJson(change.model, [...versions.values()]));
      } catch (e) {
        if (added) rmSync(versionDir(name, added.version), { recursive: true, force: true });
        throw new RegistryError(`Nothing was changed in the registry: ${(e as Error).message}`);
      }
      // after the commit: what follows from it
      for (const n of change.purge ?? []) rmSync(versionDir(name, n), { recursive: true, force: true });
      if (change.decision) appendFileSync(join(modelDir(name), DECISIONS_FILE), decisionLine(change.decision));
      const champion = change.model.aliases[CHAMPION] ?? null;
      settleChampionFile(name, champion);
      return result;
    }),
  };
}

/** The registry in `dir`, with the verbs of the browser's (registerVersion, promote, rollback, …). */
export function folderRegistry(dir: string, opts: FolderRegistryOptions = {}): ModelRegistry {
  return new ModelRegistry(folderRegistryRepository(dir, opts));
}
