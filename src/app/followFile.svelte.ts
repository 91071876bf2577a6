// Following a file a bot appends to (seed 003's live trade collector writes live_trades_*.jsonl and
// completed_trades.jsonl): where the browser has the File System Access API (Chromium), the lab
// keeps the file's handle and re-reads it at an interval the person sets; when the file changed,
// the whole of it goes to the dataset's append, which adds only what is new (by trade id or time)
// and leaves the dataset untouched when nothing is. One follower per dataset, for as long as the
// tab is open; switching views does not stop it.

import type { AppendResult } from '../services/dataAppend';

export interface FollowEvent {
  at: string;
  result?: Pick<AppendResult, 'added' | 'dropped' | 'completed' | 'unchanged'>;
  error?: string;
}

type AppendFn = (datasetId: string, file: File) => Promise<AppendResult>;

/** Whether this browser can follow a file (the File System Access API's file picker). */
export function canFollowFiles(): boolean {
  return typeof globalThis.window !== 'undefined' && 'showOpenFilePicker' in window;
}

export class FileFollower {
  fileName = $state('');
  intervalSeconds = $state(60);
  checking = $state(false);
  lastChecked = $state<string | null>(null);
  /** The last few checks that found something (or failed), newest first. */
  events = $state<FollowEvent[]>([]);
  active = $state(true);
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seen: { size: number; modified: number } | null = null;

  constructor(
    readonly datasetId: string,
    private readonly handle: FileSystemFileHandle,
    private readonly append: AppendFn,
    private readonly onChanged: (result: AppendResult) => void,
    intervalSeconds: number,
  ) {
    this.fileName = handle.name;
    this.intervalSeconds = intervalSeconds;
  }

  /** Reads the file now (and then at the interval): appends what is new when it changed. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const file = await this.handle.getFile();
      this.lastChecked = new Date().toISOString();
      if (this.seen && this.seen.size === file.size && this.seen.modified === file.lastModified) return;
      const result = await this.append(this.datasetId, file);
      this.seen = { size: file.size, modified: file.lastModified };
      if (!result.unchanged) {
        this.record({ at: this.lastChecked, result });
        this.onChanged(result);
      }
    } catch (e) {
      // the file stays followed: a bot may be mid-write, or the person fixes the line named here
      this.record({ at: new Date().toISOString(), error: (e as Error).message });
    } finally {
      this.checking = false;
      this.schedule();
    }
  }

  setInterval(seconds: number): void {
    this.intervalSeconds = Math.max(5, Math.round(seconds));
    this.schedule();
  }

  stop(): void {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.active ? setTimeout(() => void this.check(), this.intervalSeconds * 1000) : null;
  }

  private record(e: FollowEvent): void {
    this.events = [e, ...this.events].slice(0, 8);
  }
}

/** Each dataset's last append in this tab, so what it found stays said when the dataset's view is drawn again. */
export const lastAppends = $state<Record<string, AppendResult>>({});

/** The files followed in this tab, by dataset. */
export const followers = $state<Record<string, FileFollower>>({});

export async function followFile(datasetId: string, append: AppendFn, onChanged: (result: AppendResult) => void, intervalSeconds = 60): Promise<FileFollower | null> {
  const picker = (window as unknown as { showOpenFilePicker: (o: unknown) => Promise<FileSystemFileHandle[]> }).showOpenFilePicker;
  let handle: FileSystemFileHandle;
  try {
    [handle] = await picker({ multiple: false, types: [{ description: 'Data a bot appends to', accept: { 'text/plain': ['.csv', '.tsv', '.txt', '.jsonl', '.ndjson', '.json'] } }] });
  } catch {
    return null; // the person closed the picker
  }
  followers[datasetId]?.stop();
  const follower = new FileFollower(datasetId, handle, append, onChanged, intervalSeconds);
  followers[datasetId] = follower;
  await follower.check();
  return follower;
}

export function stopFollowing(datasetId: string): void {
  followers[datasetId]?.stop();
  delete followers[datasetId];
}
