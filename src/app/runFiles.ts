// Downloads and uploads of runs from the page; the work happens in the training worker.
import { exportRunJsonl, exportRunZip, importRunArchive } from './trainWorker';

export function downloadBytes(bytes: Uint8Array | string, fileName: string, type: string): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function downloadRunZip(runId: string): Promise<void> {
  downloadBytes(await exportRunZip(runId), `${runId}.zip`, 'application/zip');
}

export async function downloadRunJsonl(runId: string): Promise<void> {
  downloadBytes(await exportRunJsonl(runId), `${runId}_detailed_episodes.jsonl`, 'application/x-ndjson');
}

export async function importRunFile(file: File): Promise<string> {
  return importRunArchive(new Uint8Array(await file.arrayBuffer()), file.name);
}
