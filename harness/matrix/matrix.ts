// A dense matrix of values keyed by (source id, column key). Pure data, no I/O.
import type { Axes, Column, Endpoint } from './axes.js';
import { isSelfCell } from './axes.js';

export type Verdict = 'allow' | 'deny';

export const cellKey = (src: string, col: string): string => `${src}|${col}`;

export class Matrix<T> {
  readonly axes: Axes;
  private readonly values = new Map<string, T>();

  constructor(axes: Axes) {
    this.axes = axes;
  }

  get(src: string, col: string): T | undefined {
    return this.values.get(cellKey(src, col));
  }

  set(src: string, col: string, value: T): void {
    this.values.set(cellKey(src, col), value);
  }

  has(src: string, col: string): boolean {
    return this.values.has(cellKey(src, col));
  }

  /** Every probed cell (self cells excluded), in row-major order. */
  *cells(): Generator<{ src: Endpoint; col: Column; value: T | undefined }> {
    for (const src of this.axes.sources) {
      for (const col of this.axes.columns) {
        if (isSelfCell(src, col)) continue;
        yield { src, col, value: this.get(src.id, col.key) };
      }
    }
  }

  get size(): number {
    return this.values.size;
  }

  map<U>(fn: (value: T, src: Endpoint, col: Column) => U): Matrix<U> {
    const out = new Matrix<U>(this.axes);
    for (const { src, col, value } of this.cells()) {
      if (value !== undefined) out.set(src.id, col.key, fn(value, src, col));
    }
    return out;
  }
}
