// Xero's line and document arithmetic: 2dp line amounts, per-line rounded tax.
import type { LineAmountTypes } from './types.ts';
import { round2, roundTo } from './xero-format.ts';

export interface LineNumbers {
  Quantity?: number;
  UnitAmount?: number;
  LineAmount?: number;
  DiscountRate?: number;
  DiscountAmount?: number;
  TaxAmount?: number;
}

export interface ComputedLine {
  Quantity: number;
  UnitAmount: number;
  LineAmount: number;
  TaxAmount: number;
  discount: number;
  error?: string;
}

export function computeLine(n: LineNumbers, ratePercent: number, lat: LineAmountTypes, unitdp: number, lineNo: number): ComputedLine {
  const Quantity = roundTo(n.Quantity ?? 1, 4);
  let UnitAmount: number;
  if (n.UnitAmount !== undefined) UnitAmount = roundTo(n.UnitAmount, unitdp);
  else if (n.LineAmount !== undefined && Quantity !== 0 && n.DiscountRate === undefined && n.DiscountAmount === undefined) {
    UnitAmount = roundTo(n.LineAmount / Quantity, unitdp);
  } else UnitAmount = 0;
  const gross = round2(Quantity * UnitAmount);
  let LineAmount = gross;
  if (n.DiscountRate !== undefined) LineAmount = round2(Quantity * UnitAmount * (1 - n.DiscountRate / 100));
  else if (n.DiscountAmount !== undefined) LineAmount = round2(Quantity * UnitAmount - n.DiscountAmount);
  let error: string | undefined;
  if (n.LineAmount !== undefined && n.UnitAmount !== undefined && Math.abs(round2(n.LineAmount) - LineAmount) > 0.01) {
    error = `The line total ${round2(n.LineAmount).toFixed(2)} for line item ${lineNo} does not match the calculated line total ${LineAmount.toFixed(2)}.`;
  } else if (n.LineAmount !== undefined && n.UnitAmount === undefined) {
    LineAmount = round2(n.LineAmount);
  }
  let TaxAmount = 0;
  if (lat === 'Exclusive') TaxAmount = round2((LineAmount * ratePercent) / 100);
  else if (lat === 'Inclusive') TaxAmount = round2((LineAmount * ratePercent) / (100 + ratePercent));
  if (n.TaxAmount !== undefined && lat !== 'NoTax') TaxAmount = round2(n.TaxAmount);
  return { Quantity, UnitAmount, LineAmount, TaxAmount, discount: round2(gross - LineAmount), ...(error ? { error } : {}) };
}

export interface Totals { SubTotal: number; TotalTax: number; Total: number; TotalDiscount: number }

export function computeTotals(lines: { LineAmount: number; TaxAmount: number; discount: number }[], lat: LineAmountTypes): Totals {
  const sumLines = round2(lines.reduce((s, l) => s + l.LineAmount, 0));
  const TotalTax = lat === 'NoTax' ? 0 : round2(lines.reduce((s, l) => s + l.TaxAmount, 0));
  const TotalDiscount = round2(lines.reduce((s, l) => s + l.discount, 0));
  if (lat === 'Inclusive') return { SubTotal: round2(sumLines - TotalTax), TotalTax, Total: sumLines, TotalDiscount };
  return { SubTotal: sumLines, TotalTax, Total: round2(sumLines + TotalTax), TotalDiscount };
}
