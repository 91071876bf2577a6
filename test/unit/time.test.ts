import { describe, expect, it } from 'vitest';
import { epochUnitOf, intervalLabel, parseTimeText, slashDatesAreDayFirst } from '../../src/core/data/time';

const utc = (...a: number[]) => Date.UTC(a[0], a[1] - 1, a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0, a[6] ?? 0);

describe('parseTimeText', () => {
  it.each([
    ['2024-01-02', utc(2024, 1, 2)],
    ['2024-01-02T03:04:05Z', utc(2024, 1, 2, 3, 4, 5)],
    ['2024-01-02T03:04:05.678Z', utc(2024, 1, 2, 3, 4, 5, 678)],
    ['2024-01-02 03:04:05', utc(2024, 1, 2, 3, 4, 5)],
    ['2024-01-02 03:04', utc(2024, 1, 2, 3, 4)],
    ['2024-01-02T03:04:05+02:00', utc(2024, 1, 2, 1, 4, 5)],
    ['2024-01-02T03:04:05-0130', utc(2024, 1, 2, 4, 34, 5)],
    ['2021-11-18T00:00:00.017Z', utc(2021, 11, 18, 0, 0, 0, 17)],
    ['2024/01/02', utc(2024, 1, 2)],
    ['01.01.2017 22:00:00.000', utc(2017, 1, 1, 22)],
    ['31.12.2017 23:59:59.999', utc(2017, 12, 31, 23, 59, 59, 999)],
    ['01/02/2024', utc(2024, 1, 2)],
    ['2024-02-29', utc(2024, 2, 29)],
    ['2024-01-02 03:04:05 UTC', utc(2024, 1, 2, 3, 4, 5)],
  ])('%s', (text, expected) => {
    expect(parseTimeText(text)).toBe(expected);
  });

  it('reads slash dates day-first when asked', () => {
    expect(parseTimeText('13/02/2024', true)).toBe(utc(2024, 2, 13));
    expect(slashDatesAreDayFirst(['01/02/2024', '13/02/2024'])).toBe(true);
    expect(slashDatesAreDayFirst(['01/02/2024', '12/31/2024'])).toBe(false);
  });

  it.each(['2023-02-29', '2024-13-01', '2024-01-32', 'hello', '2024-01-02T25:00', '2024-01-02T03:04:05Zjunk', '12345', ''])('refuses %j', (text) => {
    expect(parseTimeText(text)).toBeNaN();
  });

  it('matches Date.parse on ISO strings over many years', () => {
    for (let y = 1970; y < 2100; y += 7) {
      for (const m of [1, 2, 6, 12]) {
        const s = `${y}-${String(m).padStart(2, '0')}-15T12:34:56.789Z`;
        expect(parseTimeText(s)).toBe(Date.parse(s));
      }
    }
  });
});

describe('epoch units and interval labels', () => {
  it('guesses epoch units from magnitude', () => {
    expect(epochUnitOf(1_700_000_000)).toBe('s');
    expect(epochUnitOf(1_700_000_000_000)).toBe('ms');
    expect(epochUnitOf(1_700_000_000_000_000)).toBe('us');
    expect(epochUnitOf(1.7e18)).toBe('ns');
  });
  it('labels intervals', () => {
    expect(intervalLabel(300_000)).toBe('5m');
    expect(intervalLabel(3_600_000)).toBe('1h');
    expect(intervalLabel(28_800_000)).toBe('8h');
    expect(intervalLabel(86_400_000)).toBe('1d');
    expect(intervalLabel(1500)).toBe('1.5s');
  });
});
