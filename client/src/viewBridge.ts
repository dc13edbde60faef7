// Bridge from the extension to the placement view (client/src/placementView*.ts,
// engineer E). Until the view registers, the command says so plainly.
// TEMPORARY: replaced by a direct call to the view's registration function
// once it lands.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

export class PlacementViewHost implements vscode.Disposable {
  constructor(
    private context: vscode.ExtensionContext,
    private client: () => LanguageClient | undefined,
  ) {}

  attach(_client: LanguageClient): void {}

  show(_uri: string | undefined): void {
    void vscode.window.showInformationMessage('moeplan: the placement view is not in this build yet (temporary message).');
  }

  dispose(): void {}
}
