// The `moeplan` task type: `moeplan check` and `moeplan solve` for each plan
// at the workspace root and one folder down, run through the project's own
// CLI (`npx --no moeplan`, so nothing is downloaded), with the `$moeplan`
// problem matcher turning the CLI's `file:line:col: severity MPnnn: message`
// lines into Problems. Plans elsewhere can be named in tasks.json.
import * as vscode from 'vscode';

export const TASK_TYPE = 'moeplan';

/** What tasks.json writes for a moeplan task (package.json `taskDefinitions`). */
export interface MoeplanTaskDefinition extends vscode.TaskDefinition {
  command: 'check' | 'solve';
  /** The plan, relative to the workspace folder. */
  file: string;
  /** Extra arguments after the file (e.g. `--json`, `--trace traces/`). */
  args?: string[];
}

const COMMANDS: MoeplanTaskDefinition['command'][] = ['check', 'solve'];
/** Enough to list the plans of a repository without walking a huge tree. */
const MAX_PLANS = 50;

function taskFor(folder: vscode.WorkspaceFolder, def: MoeplanTaskDefinition): vscode.Task {
  const exec = new vscode.ShellExecution('npx', ['--no', 'moeplan', def.command, def.file, ...(def.args ?? [])], { cwd: folder.uri.fsPath });
  const task = new vscode.Task(def, folder, `${def.command} ${def.file}`, TASK_TYPE, exec, ['$moeplan']);
  task.group = def.command === 'check' ? vscode.TaskGroup.Test : vscode.TaskGroup.Build;
  return task;
}

export function registerTasks(): vscode.Disposable {
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    async provideTasks(): Promise<vscode.Task[]> {
      const tasks: vscode.Task[] = [];
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        if (folder.uri.scheme !== 'file') continue;
        const plans = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '{*.moeplan,*/*.moeplan}'), '**/node_modules/**', MAX_PLANS);
        for (const plan of plans.sort((a, b) => a.path.localeCompare(b.path))) {
          const file = vscode.workspace.asRelativePath(plan, false);
          for (const command of COMMANDS) tasks.push(taskFor(folder, { type: TASK_TYPE, command, file }));
        }
      }
      return tasks;
    },
    resolveTask(task: vscode.Task): vscode.Task | undefined {
      const def = task.definition as MoeplanTaskDefinition;
      const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
      if (!folder || !COMMANDS.includes(def.command) || typeof def.file !== 'string') return undefined;
      return taskFor(folder, def);
    },
  });
}
