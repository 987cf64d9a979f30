// @ts-check
// The two charts, drawn by uPlot (vendor/uPlot.iife.min.js, the global `uPlot`). A chart keeps
// its width with its container; without uPlot (the script failed to load) it says so instead.

const HEIGHT_PX = 190;

export class TimeChart {
  /**
   * @param {HTMLElement} container
   * @param {{ label: string, unit: string, stroke: string, fill: string }} series
   */
  constructor(container, series) {
    this.container = container;
    /** @type {any} uPlot's instance (the page has no types for the global) */
    this.plot = null;
    const UPlot = /** @type {any} */ (globalThis).uPlot;
    if (typeof UPlot !== "function") {
      container.textContent = "chart unavailable (uPlot did not load)";
      return;
    }
    const opts = {
      width: Math.max(200, container.clientWidth),
      height: HEIGHT_PX,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (/** @type {unknown} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, max > 0 ? max * 1.15 : 1] } },
      axes: [{ stroke: "#5b6472", grid: { stroke: "#eef0f3" } }, { stroke: "#5b6472", grid: { stroke: "#eef0f3" }, label: series.unit, size: 56 }],
      series: [{}, { label: series.label, stroke: series.stroke, fill: series.fill, width: 2, spanGaps: true, points: { show: false } }],
    };
    this.plot = new UPlot(opts, [[], []], container);
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => {
        const width = Math.max(200, this.container.clientWidth);
        if (this.plot !== null && width !== this.plot.width) this.plot.setSize({ width, height: HEIGHT_PX });
      }).observe(container);
    }
  }

  /** @param {[number[], (number | null)[]]} data */
  update(data) {
    if (this.plot !== null) this.plot.setData(data);
  }
}
