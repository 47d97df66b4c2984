// Charts drawn with the vendored Chart.js (window.Chart, see /vendor/README.md). No animation: what is drawn is final,
// and each chart's numbers stay readable through Chart.getChart(canvas).data.

const INK = '#1f4e79';
const LIGHT = '#7fa7d1';

function chartLibrary() {
  if (!window.Chart) throw new Error('Chart.js did not load (/vendor/chart.umd.min.js)');
  return window.Chart;
}

export function barChart(canvas, labels, values, label, onSelect) {
  const Chart = chartLibrary();
  return new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: [{ label, data: values, backgroundColor: INK }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { display: false } },
      onClick: (_event, elements) => { if (elements.length) onSelect(elements[0].index); },
      onHover: (event, elements) => { event.native.target.style.cursor = elements.length ? 'pointer' : 'default'; },
    },
  });
}

/** Per town a floating bar from p50 to p75 and another from p75 to p99: the spread of ages at a glance. */
export function rangeChart(canvas, labels, towns) {
  const Chart = chartLibrary();
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        // minBarLength: a town of one citizen (p50 = p99) still shows a mark.
        { label: 'p50 – p75', data: towns.map(t => [t.p50, t.p75]), backgroundColor: INK, grouped: false, minBarLength: 4 },
        { label: 'p75 – p99', data: towns.map(t => [t.p75, t.p99]), backgroundColor: LIGHT, grouped: false, minBarLength: 2 },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: 'y',
      scales: { x: { beginAtZero: true, grace: '5%', title: { display: true, text: 'age in years' } } },
      plugins: {
        tooltip: { callbacks: { label: item => `${item.dataset.label}: ${item.raw[0]} – ${item.raw[1]}` } },
      },
    },
  });
}

/** One bar per label, drawn sideways so that long labels (channel names) stay readable on a phone; the value at its end. */
export function horizontalBarChart(canvas, labels, values, label) {
  const Chart = chartLibrary();
  return new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: [{ label, data: values, backgroundColor: INK, minBarLength: 2 }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: 'y',
      scales: { x: { beginAtZero: true, grace: '10%', ticks: { precision: 0 }, title: { display: true, text: label.toLowerCase() } } },
      plugins: { legend: { display: false } },
    },
  });
}
