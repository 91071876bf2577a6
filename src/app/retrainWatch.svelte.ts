// While the tab is open, models whose retrain rule is on are checked at their rule's interval (seed
// 003's auto-trainer looks every 2 hours) and whenever rows are appended to the dataset their
// champion trained on; a model that is due is retrained in the training worker, one at a time, when
// no run trains there. The Models view shows what it is doing and what it decided.
import { checkRetrainInWorker, retrainInWorker } from './trainWorker';
import { labDb } from './labDb';
import { ModelRegistry } from '../core/registry/registry';
import { idbRegistry } from '../store/registry';
import type { RetrainDecision, RetrainTrigger } from '../core/registry/types';
import type { TrainingProgress } from '../services/training';

/**
 * Models whose retrain rule is on, with the dataset their champion trained on: read in the page, so
 * a tab with nothing to watch starts no training worker.
 */
async function watchedModels(): Promise<{ model: string; datasetId: string | null; everyMinutes: number }[]> {
  const registry = new ModelRegistry(idbRegistry(await labDb()));
  const out: { model: string; datasetId: string | null; everyMinutes: number }[] = [];
  for (const m of await registry.listModels()) {
    if (!m.retrain_rule.enabled) continue;
    const champion = m.aliases.champion;
    const v = champion === undefined ? null : await registry.getVersion(m.name, champion);
    out.push({ model: m.name, datasetId: v?.dataset.id ?? null, everyMinutes: m.retrain_rule.checkEveryMinutes });
  }
  return out;
}

class RetrainWatch {
  /** The retrain in progress: its model and progress. */
  running = $state<{ model: string; trigger: RetrainTrigger; progress: TrainingProgress | null } | null>(null);
  /** Each model's last decision made in this tab, and the last error. */
  decisions = $state<Record<string, RetrainDecision>>({});
  error = $state<string | null>(null);
  private timers = new Map<string, ReturnType<typeof setInterval>>();
  private queue: { model: string; trigger: RetrainTrigger; force: boolean }[] = [];
  private started = false;

  /** Reads the rules and sets a timer per watched model; called at start-up and when a rule changes. */
  async start(): Promise<void> {
    this.started = true;
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    try {
      for (const w of await watchedModels()) {
        this.timers.set(w.model, setInterval(() => this.request(w.model, 'interval'), Math.max(1, w.everyMinutes) * 60_000));
      }
    } catch (e) {
      console.warn('Could not read the retrain rules', e);
    }
  }

  /** Rows were appended to a dataset: the models whose champion trained on it are checked now. */
  async datasetChanged(datasetId: string): Promise<void> {
    if (!this.started) return;
    try {
      for (const w of await watchedModels()) if (w.datasetId === datasetId) this.request(w.model, 'append');
    } catch (e) {
      console.warn('Could not read the retrain rules', e);
    }
  }

  /** Queues a check (and a retrain when due, or always with `force`); one runs at a time. */
  request(model: string, trigger: RetrainTrigger, force = false): void {
    if (this.running?.model === model || this.queue.some((q) => q.model === model)) return;
    this.queue.push({ model, trigger, force });
    void this.drain();
  }

  check = (model: string) => checkRetrainInWorker(model);

  private async drain(): Promise<void> {
    if (this.running) return;
    const next = this.queue.shift();
    if (!next) return;
    this.running = { model: next.model, trigger: next.trigger, progress: null };
    this.error = null;
    try {
      const decision = await retrainInWorker(next.model, next.trigger, next.force, (p) => {
        if (this.running) this.running = { ...this.running, progress: p };
      });
      this.decisions = { ...this.decisions, [next.model]: decision };
    } catch (e) {
      // a run training in the tab: the next look (interval or append) tries again
      this.error = `${next.model}: ${(e as Error).message}`;
    } finally {
      this.running = null;
      void this.drain();
    }
  }
}

export const retrainWatch = new RetrainWatch();
