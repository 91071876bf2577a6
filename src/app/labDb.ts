// The page's connection to the lab's database (the worker opens its own).
import { openLabDb, type LabDb } from '../store/db';

let db: Promise<LabDb> | null = null;
export function labDb(): Promise<LabDb> {
  db ??= openLabDb();
  return db;
}
