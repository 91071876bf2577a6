// Real market data bundled in public/samples/ so a first-time visitor needs no file of their own.
// Credits: see public/samples/README.md.

export interface Sample {
  file: string;
  label: string;
  rows: number;
  credit: string;
}

export const SAMPLES: Sample[] = [
  { file: 'ETH_BTC-5m.parquet', label: 'ETH/BTC 5-minute candles, Jan 2018', rows: 5760, credit: 'freqtrade test data (GPL-3.0)' },
  { file: 'STOCKS_GOOGL.csv', label: 'GOOGL daily candles, 2009–2018', rows: 2335, credit: 'gym-anytrading (MIT)' },
  { file: 'FOREX_EURUSD_1H_ASK.csv', label: 'EUR/USD hourly ask candles, 2017–2018', rows: 6225, credit: 'gym-anytrading (MIT)' },
  { file: 'UNITTEST_BTC-1m.json', label: 'BTC 1-minute candles (exchange-API JSON)', rows: 13681, credit: 'freqtrade test data (GPL-3.0)' },
  { file: 'XRP_USDT-5m-futures.parquet', label: 'XRP/USDT perpetual futures 5-minute candles', rows: 1999, credit: 'freqtrade test data (GPL-3.0)' },
  {
    file: 'FUNDING_opportunities_2023.parquet',
    label: 'Funding-arbitrage opportunities: BTC and ETH perpetuals on 7 venues, hourly, 2023',
    rows: 367872,
    credit: 'funding rates: supervik/historical-funding-rates-fetcher (MIT); prices: Binance candles via Roshan7869/algotrading (GPL-3.0)',
  },
];

export const DEFAULT_SAMPLE = SAMPLES[0];

export function sampleUrl(sample: Sample): string {
  return `${import.meta.env.BASE_URL}samples/${sample.file}`;
}
