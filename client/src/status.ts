// Language status item: whether a solve is running, how long the last took,
// and its figure (the objective's: µs per layer, or E[T]); in an untrusted workspace, a button that runs the solver.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SolveStateNotification, onNotification, type SolveStateParams } from '../../server/src/protocol';
import * as show from '../../server/src/display';
import { primaryText } from '../../server/src/feedback/objective';

export class SolveStatus implements vscode.Disposable {
  private item = vscode.languages.createLanguageStatusItem('moeplan.solve', { language: 'moeplan' });
  private trusted = true;
  private subscription: vscode.Disposable | undefined;

  constructor() {
    this.item.name = 'moeplan solver';
    this.idle();
  }

  attach(client: LanguageClient): void {
    this.subscription?.dispose();
    this.subscription = onNotification(client, SolveStateNotification, (p) => this.update(p));
  }

  setTrusted(trusted: boolean): void {
    this.trusted = trusted;
    if (!this.item.busy) this.idle();
  }

  private idle(): void {
    this.item.busy = false;
    this.item.text = this.trusted ? 'moeplan: not solved yet' : 'moeplan: solver paused (untrusted workspace)';
    this.item.detail = this.trusted ? 'saving the plan solves it' : 'click to solve this plan once';
    this.item.command = { title: 'Solve now', command: 'moeplan.solveNow' };
    this.item.severity = vscode.LanguageStatusSeverity.Information;
  }

  private update(p: SolveStateParams): void {
    const name = p.uri.split('/').pop();
    switch (p.state) {
      case 'running':
        this.item.busy = true;
        this.item.text = 'moeplan: solving…';
        this.item.detail = name;
        this.item.severity = vscode.LanguageStatusSeverity.Information;
        break;
      case 'done':
        this.item.busy = false;
        this.item.text = `${primaryText({ expectedTime: p.expectedTime ?? NaN, latencyUs: p.latencyUs ?? NaN }, p.objective ?? 'expected-time')} per layer · solved in ${show.millis(p.ms ?? NaN)}`;
        this.item.detail = `${name}, ${new Date().toLocaleTimeString()}`;
        this.item.severity = vscode.LanguageStatusSeverity.Information;
        this.item.command = { title: 'Show placement', command: 'moeplan.showPlacementView' };
        break;
      case 'failed':
        this.item.busy = false;
        this.item.text = 'moeplan: solve failed';
        this.item.detail = 'see the Problems panel';
        this.item.severity = vscode.LanguageStatusSeverity.Error;
        this.item.command = { title: 'Solve again', command: 'moeplan.solveNow' };
        break;
      case 'cancelled':
        this.item.busy = false;
        this.item.text = 'moeplan: solve superseded';
        this.item.detail = 'a newer version is being solved';
        break;
      case 'queued':
        this.item.busy = false;
        this.item.text = this.trusted ? 'moeplan: waiting to solve' : 'moeplan: solver paused (untrusted workspace)';
        this.item.detail = 'click to solve now';
        this.item.command = { title: 'Solve now', command: 'moeplan.solveNow' };
        break;
    }
  }

  dispose(): void {
    this.subscription?.dispose();
    this.item.dispose();
  }
}
