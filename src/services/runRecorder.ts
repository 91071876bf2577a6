// A run's records on their way to storage: buffered and written in one batch at most once a
// second (a checkpoint, a pause or the end at once), with the run's config; and what the page has
// not yet seen of them, for the live charts.
import type { RunSink } from '../algos/spec';
import type { DatasetSource } from '../core/env/spec';
import type {
  CheckpointEnvelope, EpisodeTrajectory, EvaluationRecord, RunBatch, RunStatus, StoredCheckpoint, StoredEpisode, StoredEvaluation, StoredRun, StoredUpdate, UpdateRecord,
} from '../core/run/contracts';
import { pythonIsoTime } from '../core/run/record';

/** Where runs are kept: IndexedDB in the browser, a run folder on the command line. */
export interface RunRepository {
  runIdTaken(runId: string): Promise<boolean>;
  getRun(runId: string): Promise<StoredRun | undefined>;
  checkpoints(runId: string): Promise<StoredCheckpoint[]>;
  episodes(runId: string): Promise<StoredEpisode[]>;
  evaluations(runId: string): Promise<StoredEvaluation[]>;
  updates(runId: string): Promise<StoredUpdate[]>;
  deleteUpdates(runId: string, from: number, to: number): Promise<void>;
  /** Writes a batch of a run's records in one transaction. */
  append(batch: RunBatch): Promise<void>;
  /** A dataset to train on, or null when there is none (or it is being deleted). */
  dataset(id: string): Promise<DatasetSource | null>;
}

const FLUSH_MS = 1000;

export class RunRecorder implements RunSink {
  private episodesBuf: StoredEpisode[] = [];
  private evaluationsBuf: StoredEvaluation[] = [];
  private updatesBuf: StoredUpdate[] = [];
  private checkpointsBuf: StoredCheckpoint[] = [];
  private lastFlush = 0;
  /** Something of the run has been stored. */
  written = false;
  onFirstWrite: () => void = () => {};
  /** The backend is chosen (progress reports name it from then on). */
  backendChosen = false;
  private live: { updates: UpdateRecord[]; evaluations: EvaluationRecord[]; episodes: { episode: number; reward: number; timestep: number }[] } = { updates: [], evaluations: [], episodes: [] };

  constructor(private readonly config: StoredRun, private readonly repo: RunRepository, private readonly flushMs = FLUSH_MS) {}

  episodes(details: readonly Record<string, unknown>[]): void {
    const runId = this.config.run_id;
    for (const r of details) {
      const summary = { episode: r.episode as number, reward: r.reward as number, length: r.length as number, timestep: r.timestep as number, timestamp: r.timestamp as string };
      // the steps (a trajectory) are kept beside the record, not in its detailed_episodes.jsonl line
      const { trajectory, ...detail } = r as Record<string, unknown> & { trajectory?: EpisodeTrajectory };
      this.episodesBuf.push({ runId, episode: summary.episode, summary, detailJson: JSON.stringify(detail), ...(trajectory ? { trajectory } : {}) });
      this.live.episodes.push({ episode: summary.episode, reward: summary.reward, timestep: summary.timestep });
    }
  }

  async update(u: UpdateRecord): Promise<void> {
    this.updatesBuf.push({ runId: this.config.run_id, ...u });
    this.live.updates.push(u);
    if (performance.now() - this.lastFlush > this.flushMs) await this.flush();
  }

  evaluation(e: EvaluationRecord): void {
    this.evaluationsBuf.push({ runId: this.config.run_id, ...e });
    this.live.evaluations.push(e);
  }

  async checkpoint(name: string, c: CheckpointEnvelope, timestamp: string): Promise<void> {
    this.checkpointsBuf.push({ runId: this.config.run_id, name, step: c.step, kind: c.kind, timestamp, checkpoint: c });
    await this.flush(); // a checkpoint is worth a write at once
  }

  save(): Promise<void> {
    return this.flush();
  }

  async flush(status?: RunStatus, error?: string | null): Promise<void> {
    const config = this.config;
    config.updated_at = pythonIsoTime();
    if (status) {
      config.status = status;
      if (status !== 'running') config.completed_at = pythonIsoTime();
    }
    if (error !== undefined) config.error = error;
    const batch: RunBatch = { config: { ...config }, episodes: this.episodesBuf, evaluations: this.evaluationsBuf, updates: this.updatesBuf, checkpoints: this.checkpointsBuf };
    this.episodesBuf = [];
    this.evaluationsBuf = [];
    this.updatesBuf = [];
    this.checkpointsBuf = [];
    this.lastFlush = performance.now();
    await this.repo.append(batch);
    if (!this.written) {
      this.written = true;
      this.onFirstWrite();
    }
  }

  /** What the page has not seen yet. */
  takeLive() {
    const live = this.live;
    this.live = { updates: [], evaluations: [], episodes: [] };
    return live;
  }
}
