// The CryptoPipeline dashboard: plain JavaScript over the Api's /api/v1 endpoints and its live stream.
// Elements carry data-state attributes (loading, ready, empty, error) so that people's tools and the
// browser tests can tell what the page shows.
'use strict';

const LC = window.LightweightCharts;
const $ = id => document.getElementById(id);
const REFRESH_MS = 30_000;
const UP = '#26a69a';
const DOWN = '#ef5350';

const state = {
  exchange: 'binance',
  symbol: null,
  interval: '1m',
  logScale: false,
  mode: 'unknown',
  // Statistics end at this time: now for live data, the end of the latest data otherwise.
  end: null,
  source: null,
  lastTime: null,
  candleCount: 0,
};

let stream = null;
let hourlySeries = [];

const chart = LC.createChart($('chart'), chartOptions());
const candleSeries = chart.addSeries(LC.CandlestickSeries, {
  upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN, wickUpColor: UP, wickDownColor: DOWN,
});
const volumeSeries = chart.addSeries(LC.HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'volume' });
volumeSeries.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
candleSeries.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });
const hourlyChart = LC.createChart($('hourly-chart'), chartOptions());

function chartOptions() {
  return {
    autoSize: true,
    layout: { background: { color: '#171d24' }, textColor: '#c7ced6', fontSize: 11 },
    grid: { vertLines: { color: '#222a33' }, horzLines: { color: '#222a33' } },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#2a323c' },
    rightPriceScale: { borderColor: '#2a323c' },
    localization: { timeFormatter: t => new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ') },
  };
}

// ---- helpers -------------------------------------------------------------------------------

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || `${path}: HTTP ${response.status}`);
  }
  return response.json();
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, value);
  }
  return search.toString();
}

const seconds = iso => Math.floor(Date.parse(iso) / 1000);
const utc = iso => (iso ? new Date(iso).toISOString().slice(0, 16).replace('T', ' ') : '—');

function number(value, digits = 8) {
  if (value === null || value === undefined) return '—';
  return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits });
}

function compact(value) {
  if (value === null || value === undefined) return '—';
  return Number(value).toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 2 });
}

function age(secondsOld) {
  if (secondsOld === null || secondsOld === undefined) return '—';
  if (secondsOld < 90) return `${Math.round(secondsOld)} s`;
  if (secondsOld < 5400) return `${Math.round(secondsOld / 60)} min`;
  if (secondsOld < 172800) return `${Math.round(secondsOld / 3600)} h`;
  return `${Math.round(secondsOld / 86400)} d`;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fillTable(table, rows, toCells) {
  const body = table.querySelector('tbody');
  body.replaceChildren(...rows.map(row => {
    const tr = document.createElement('tr');
    tr.append(...toCells(row));
    return tr;
  }));
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell('No data yet.', 'empty');
    td.colSpan = table.querySelectorAll('thead th').length;
    tr.append(td);
    body.append(tr);
  }
  table.dataset.state = rows.length ? 'ready' : 'empty';
}

// Horizontal bars; with the log scale, lengths follow log10(1 + value) so small symbols stay visible.
function bars(container, items, format) {
  const scale = v => (state.logScale ? Math.log10(1 + Math.max(0, v)) : Math.max(0, v));
  const max = Math.max(...items.map(i => scale(i.value)), 0);
  container.replaceChildren(...items.map(item => {
    const row = document.createElement('div');
    row.className = 'bar';
    const label = document.createElement('span');
    label.textContent = item.label;
    const track = document.createElement('div');
    track.className = 'track';
    const fill = document.createElement('div');
    fill.className = 'fill';
    fill.style.width = `${max > 0 ? (scale(item.value) / max) * 100 : 0}%`;
    track.append(fill);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = format(item.value);
    row.append(label, track, value);
    return row;
  }));
  if (items.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'No data in this window.';
    container.append(empty);
  }
  container.dataset.state = items.length ? 'ready' : 'empty';
}

// ---- data mode banner -------------------------------------------------------------------------

function showMode(status) {
  state.mode = status.mode;
  document.body.dataset.mode = status.mode;
  const pill = $('pipeline-mode');
  pill.dataset.mode = status.mode;
  pill.textContent = status.mode === 'live' ? 'live data' : `${status.mode} data`;

  const banner = $('data-banner');
  const notLive = status.sources.filter(s => s !== 'live');
  if (notLive.length === 0) {
    banner.hidden = true;
    return;
  }
  const latest = status.freshness.map(f => f.lastCandle).filter(Boolean).sort().at(-1);
  const text = {
    replay: 'REPLAYED DATA — a recording is being played back; these are not current market prices.',
    simulated: 'SIMULATED DATA — a synthetic market for demonstrations; these prices are not real.',
    backfill: 'BACK-FILLED DATA — recovered history, not a live feed.',
  };
  banner.dataset.mode = notLive.length === 1 ? notLive[0] : 'mixed';
  banner.textContent = notLive.length === 1 && status.mode !== 'mixed'
    ? `${text[notLive[0]]} Latest data: ${utc(latest)} UTC.`
    : `NOT ALL DATA IS LIVE — sources: ${status.sources.join(', ')}. Check each instrument's source in the pipeline panel.`;
  banner.hidden = false;
}

// ---- symbols and candles ----------------------------------------------------------------------

async function loadSymbols() {
  const symbols = await getJson(`/api/v1/symbols`);
  const exchanges = [...new Set(symbols.map(s => s.exchange))];
  if (exchanges.length && !exchanges.includes(state.exchange)) state.exchange = exchanges[0];
  $('exchange').replaceChildren(...exchanges.map(e => new Option(e, e, false, e === state.exchange)));

  const mine = symbols.filter(s => s.exchange === state.exchange && s.lastCandle);
  if (!mine.some(s => s.symbol === state.symbol)) state.symbol = mine[0]?.symbol ?? null;
  $('symbol').replaceChildren(...mine.map(s => new Option(s.symbol, s.symbol, false, s.symbol === state.symbol)));

  // Replayed or simulated data may lie in the past: statistics then end where the data ends.
  const latest = mine.map(s => Date.parse(s.lastCandle) + 60_000).sort((a, b) => a - b).at(-1);
  state.end = state.mode === 'live' || !latest ? null : new Date(latest).toISOString();
}

async function loadCandles() {
  const el = $('chart');
  if (!state.symbol) {
    el.dataset.state = 'empty';
    $('chart-title').textContent = 'Candles — no symbol with data yet';
    return;
  }
  el.dataset.state = 'loading';
  const params = query({ exchange: state.exchange, symbol: state.symbol, interval: state.interval, limit: 500 });
  $('candles-csv').href = `/api/v1/candles?${params}&format=csv`;
  try {
    const response = await getJson(`/api/v1/candles?${params}`);
    candleSeries.setData(response.candles.map(toBar));
    volumeSeries.setData(response.candles.map(toVolume));
    chart.timeScale().fitContent();
    const last = response.candles.at(-1);
    state.candleCount = response.candles.length;
    state.lastTime = last ? seconds(last.openTime) : null;
    state.source = last?.source ?? null;
    $('chart-title').textContent = `${state.exchange} ${state.symbol} · ${state.interval}` + (state.source && state.source !== 'live' ? ` · ${state.source.toUpperCase()}` : '');
    markChart(last);
  } catch (error) {
    el.dataset.state = 'error';
    $('chart-note').textContent = error.message;
  }
}

function toBar(c) {
  return { time: seconds(c.openTime), open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) };
}

function toVolume(c) {
  return { time: seconds(c.openTime), value: Number(c.volume), color: Number(c.close) >= Number(c.open) ? 'rgba(38,166,154,.5)' : 'rgba(239,83,80,.5)' };
}

function markChart(last) {
  const el = $('chart');
  el.dataset.candles = String(state.candleCount);
  el.dataset.state = state.candleCount ? 'ready' : 'empty';
  if (last) {
    el.dataset.lastTime = last.openTime;
    el.dataset.lastClose = String(last.close);
    $('chart-note').textContent =
      `Last ${state.interval} candle ${utc(last.openTime)} UTC: close ${number(last.close)}, ${last.tradeCount} trades` +
      (last.isFinal ? '' : ' (open)') + (last.source !== 'live' ? `, ${last.source}` : '');
  }
}

function applyCandle(event) {
  if (event.exchange !== state.exchange || event.symbol !== state.symbol || event.interval !== state.interval) return;
  const candle = event.candle;
  const time = seconds(candle.openTime);
  const historical = state.lastTime !== null && time < state.lastTime;
  candleSeries.update(toBar(candle), historical);
  volumeSeries.update(toVolume(candle), historical);
  if (state.lastTime === null || time > state.lastTime) {
    state.lastTime = time;
    state.candleCount += 1;
  }
  if (time === state.lastTime) markChart(candle);
  else $('chart').dataset.candles = String(state.candleCount);
}

// ---- tickers ----------------------------------------------------------------------------------

const tickerRows = new Map();

async function loadTickers() {
  $('tickers-csv').href = `/api/v1/tickers?${query({ exchange: state.exchange, format: 'csv' })}`;
  const tickers = await getJson(`/api/v1/tickers?${query({ exchange: state.exchange })}`);
  tickerRows.clear();
  fillTable($('tickers'), tickers, t => {
    const cells = [
      cell(t.symbol + (t.source !== 'live' ? ` (${t.source})` : '')), cell(number(t.last)), cell(number(t.bid)), cell(number(t.ask)),
      cell(number(t.spread)),
      cell(t.changePercent24h === null ? '—' : `${t.changePercent24h > 0 ? '+' : ''}${number(t.changePercent24h, 2)}%`,
        t.changePercent24h > 0 ? 'up' : t.changePercent24h < 0 ? 'down' : ''),
      cell(compact(t.quoteVolume24h)),
    ];
    tickerRows.set(t.symbol, cells);
    return cells;
  });
}

function applyTick(tick) {
  const cells = tickerRows.get(tick.symbol);
  if (!cells) return;
  [[1, tick.last], [2, tick.bid], [3, tick.ask], [4, tick.spread]].forEach(([index, value]) => {
    const text = number(value);
    if (cells[index].textContent !== text) {
      cells[index].textContent = text;
      cells[index].classList.remove('flash');
      void cells[index].offsetWidth;
      cells[index].classList.add('flash');
    }
  });
  $('tickers').dataset.lastTick = tick.updatedAt;
}

// ---- statistics -------------------------------------------------------------------------------

async function loadStatistics() {
  const six = query({ exchange: state.exchange, minutes: 360, end: state.end });
  const twelve = query({ exchange: state.exchange, hours: 12, end: state.end });
  const hour = query({ exchange: state.exchange, minutes: 60, end: state.end });
  $('stats6-csv').href = `/api/v1/statistics?${six}&format=csv`;
  $('stats12-csv').href = `/api/v1/statistics/hourly?${twelve}&format=csv`;
  $('top-csv').href = `/api/v1/statistics?${hour}&format=csv`;

  const [sixHours, hourly, lastHour] = await Promise.all([
    getJson(`/api/v1/statistics?${six}`),
    getJson(`/api/v1/statistics/hourly?${twelve}`),
    getJson(`/api/v1/statistics?${hour}`),
  ]);

  const bySymbol = [...sixHours.symbols].sort((a, b) => a.symbol.localeCompare(b.symbol));
  bars($('stats6-trades'), bySymbol.map(s => ({ label: s.symbol, value: s.tradeCount })), compact);
  bars($('stats6-volume'), bySymbol.map(s => ({ label: s.symbol, value: Number(s.quoteVolume) })), compact);
  fillTable($('stats6'), sixHours.symbols, s => [
    cell(s.symbol), cell(number(s.tradeCount, 0)), cell(compact(s.volume)), cell(compact(s.quoteVolume)), cell(number(s.vwap, 2)),
    cell(s.changePercent === null ? '—' : `${number(s.changePercent, 2)}%`, s.change > 0 ? 'up' : s.change < 0 ? 'down' : ''),
  ]);
  $('stats6-title').textContent = `6 hours to ${utc(sixHours.to)} UTC`;

  bars($('top-volumes'), lastHour.symbols.slice(0, 10).map(s => ({ label: s.symbol, value: Number(s.quoteVolume) })), compact);
  $('top-title').textContent = `Top volumes, hour to ${utc(lastHour.to)} UTC`;

  drawHourly(hourly.hours);
  fillTable($('stats12'), [...hourly.hours].reverse(), h => [
    cell(utc(h.hourStart)), cell(h.symbol), cell(number(h.tradeCount, 0)), cell(compact(h.quoteVolume)), cell(number(h.close)),
  ]);
  $('stats12-title').textContent = `12 hours to ${utc(hourly.to)} UTC, by hour`;
}

const palette = ['#4aa3ff', '#f5a623', '#26a69a', '#c678dd', '#ef5350', '#98c379', '#e5c07b', '#56b6c2'];

function drawHourly(hours) {
  hourlySeries.forEach(series => hourlyChart.removeSeries(series));
  const symbols = [...new Set(hours.map(h => h.symbol))];
  hourlySeries = symbols.map((symbol, index) => {
    const series = hourlyChart.addSeries(LC.LineSeries, { color: palette[index % palette.length], lineWidth: 2, title: symbol, priceFormat: { type: 'volume' } });
    series.setData(hours.filter(h => h.symbol === symbol).map(h => ({ time: seconds(h.hourStart), value: Number(h.quoteVolume) })));
    return series;
  });
  hourlyChart.timeScale().fitContent();
  $('hourly-chart').dataset.state = hours.length ? 'ready' : 'empty';
}

async function loadAnalysis() {
  const minutes = Number($('analysis-minutes').value) || 60;
  const el = $('analysis');
  if (!state.symbol) {
    el.replaceChildren();
    return;
  }
  const params = query({ exchange: state.exchange, symbol: state.symbol, minutes, end: state.end });
  $('analysis-csv').href = `/api/v1/statistics?${params}&format=csv`;
  try {
    const result = await getJson(`/api/v1/statistics?${params}`);
    const s = result.symbols[0];
    const figures = s
      ? [['Trades', number(s.tradeCount, 0)], ['Volume', number(s.volume, 4)], ['Quote volume', compact(s.quoteVolume)], ['Open', number(s.open, 4)],
        ['High', number(s.high, 4)], ['Low', number(s.low, 4)], ['Close', number(s.close, 4)], ['VWAP', number(s.vwap, 4)],
        ['Change', s.changePercent === null ? '—' : `${number(s.changePercent, 2)}%`], ['Window', `${utc(result.from)} → ${utc(result.to)}`]]
      : [['Trades', '0'], ['Window', `${utc(result.from)} → ${utc(result.to)}`]];
    el.replaceChildren(...figures.map(([name, value]) => {
      const div = document.createElement('div');
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value;
      div.append(dt, dd);
      return div;
    }));
    el.dataset.state = s ? 'ready' : 'empty';
  } catch (error) {
    el.textContent = error.message;
    el.dataset.state = 'error';
  }
}

// ---- pipeline ---------------------------------------------------------------------------------

async function loadPipeline() {
  const status = await getJson('/api/v1/pipeline');
  showMode(status);
  fillTable($('freshness'), status.freshness, f => [
    cell(`${f.exchange} ${f.symbol}`), cell(utc(f.lastCandle)), cell(age(f.ageSeconds), f.ageSeconds > 300 ? 'down' : ''), cell(f.source, f.source === 'live' ? '' : 'down'),
  ]);
  fillTable($('consumers'), status.consumers, c => [
    cell(c.topic), cell(String(c.partition)), cell(number(c.nextOffset, 0)), cell(age(c.eventTimeLagSeconds)), cell(age(c.sinceCommitSeconds)),
  ]);
  fillTable($('jobs'), status.jobs, j => [cell(j.jobName), cell(utc(j.startedAt)), cell(j.status, j.status === 'failed' ? 'down' : ''), cell(j.message ?? '')]);
  const items = [
    ...status.alerts.map(a => [`severity-${a.severity}`, `${a.severity.toUpperCase()} ${a.rule} — ${a.subject} since ${utc(a.raisedAt)}`]),
    ...status.gaps.map(g => ['severity-warning', `GAP ${g.exchange} ${g.symbol}: trade ids ${g.firstMissingId}–${g.lastMissingId} missing since ${utc(g.detectedAt)}`]),
  ];
  $('alerts').replaceChildren(...(items.length ? items : [['empty', 'No open alerts or gaps.']]).map(([className, text]) => {
    const li = document.createElement('li');
    const span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    li.append(span);
    return li;
  }));
}

// ---- live stream ------------------------------------------------------------------------------

function connect() {
  stream?.close();
  const connection = $('connection');
  connection.dataset.state = 'connecting';
  connection.textContent = 'connecting…';
  stream = new EventSource(`/api/v1/stream?${query({ exchange: state.exchange, symbol: state.symbol, interval: state.interval })}`);
  stream.addEventListener('hello', () => {
    connection.dataset.state = 'live';
    connection.textContent = 'live updates';
  });
  stream.addEventListener('candle', e => applyCandle(JSON.parse(e.data)));
  stream.addEventListener('tick', e => applyTick(JSON.parse(e.data)));
  stream.onerror = () => {
    connection.dataset.state = 'error';
    connection.textContent = 'reconnecting…';
  };
}

// ---- wiring -----------------------------------------------------------------------------------

async function refreshPanels() {
  await Promise.allSettled([loadTickers(), loadStatistics(), loadAnalysis()]);
}

async function reload() {
  try {
    await loadPipeline();
    await loadSymbols();
  } catch (error) {
    $('chart-note').textContent = error.message;
  }
  await Promise.allSettled([loadCandles(), refreshPanels()]);
  connect();
  document.body.dataset.ready = 'true';
}

function setLogScale(on) {
  state.logScale = on;
  const mode = on ? LC.PriceScaleMode.Logarithmic : LC.PriceScaleMode.Normal;
  candleSeries.priceScale().applyOptions({ mode });
  hourlyChart.priceScale('right').applyOptions({ mode });
  loadStatistics().catch(() => {});
}

$('exchange').addEventListener('change', e => { state.exchange = e.target.value; state.symbol = null; reload(); });
$('symbol').addEventListener('change', e => { state.symbol = e.target.value; loadCandles().then(connect); loadAnalysis(); });
$('interval').addEventListener('change', e => { state.interval = e.target.value; loadCandles().then(connect); });
$('log-scale').addEventListener('change', e => setLogScale(e.target.checked));
$('analysis-minutes').addEventListener('change', () => loadAnalysis());

// Figures that are not streamed (statistics, pipeline) refresh on a timer; a replay moves their end along.
setInterval(() => {
  loadPipeline().then(loadSymbols).then(refreshPanels).catch(() => {});
}, REFRESH_MS);

reload();
