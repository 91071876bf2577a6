// The page's connection to the lab's database (the worker opens its own).
import { openLabDb, type LabDb } from '../store/db';
import { removeLeftoverChunks } from '../store/datasets';
import { removeLeftoverRunRecords } from '../store/runs';

let db: Promise<LabDb> | null = null;
export function labDb(): Promise<LabDb> {
  db ??= openLabDb().then(async (opened) => {
    // records an interrupted import of an older version left without their run or dataset are removed
    await removeLeftoverRunRecords(opened).catch((e) => console.warn('Could not remove leftover run records', e));
    await removeLeftoverChunks(opened).catch((e) => console.warn('Could not remove leftover dataset chunks', e));
    return opened;
  });
  return db;
}
