// Runs Debian's Neovim (0.7.2) headless as a second, independent LSP client of
// the bundled language server (`node dist/server.js --stdio`) and returns what
// Neovim received: the diagnostics it stored and the hover answers.
//
// 0.7.2 has no `vim.lsp.start`; the script uses `vim.lsp.start_client` and
// `vim.lsp.buf_attach_client`, waits (vim.wait, event loop running) for the
// server's publishDiagnostics, then sends textDocument/hover synchronously.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedEnv } from './codeServer.js';
import { spawnTracked, stopTracked } from './processes.js';

export interface NeovimHoverQuery {
  /** 0-based LSP position. */
  line: number;
  character: number;
  /** Repeat the request until the hover contains this text (or the timeout). */
  until?: string;
}

export interface NeovimDiagnostic {
  lnum: number;
  col: number;
  message: string;
  severity: number;
  code?: string | number;
  source?: string;
}

export interface NeovimRun {
  /** The server's name and whether initialisation finished. */
  serverName?: string;
  initialized: boolean;
  /** Number of publishDiagnostics notifications received for the file. */
  publishCount: number;
  diagnostics: NeovimDiagnostic[];
  /** Hover text (markdown/plaintext flattened) per query, '' when none. */
  hovers: string[];
  /** Set when the script gave up (what it waited for). */
  timeout?: string;
  error?: string;
}

const LUA = String.raw`
local cfg = vim.fn.json_decode(vim.fn.readfile(vim.env.MOEPLAN_NVIM_CONFIG))
local out = { initialized = false, publishCount = 0, diagnostics = {}, hovers = {} }
local function finish()
  vim.fn.writefile({ vim.fn.json_encode(out) }, cfg.output)
  vim.cmd('qall!')
end
local ok, err = pcall(function()
  local target_uri = vim.uri_from_fname(cfg.file)
  local client_id
  local buf
  if cfg.init then
    -- The user's configuration (e.g. the docs' init.lua) attaches the server itself.
    dofile(cfg.init)
    vim.cmd('edit ' .. vim.fn.fnameescape(cfg.file))
    buf = vim.api.nvim_get_current_buf()
    if not vim.wait(cfg.timeoutMs, function() return next(vim.lsp.buf_get_clients(buf)) ~= nil end, 20) then
      out.timeout = 'a client attached by the init file'; return
    end
    local client = select(2, next(vim.lsp.buf_get_clients(buf)))
    client_id = client.id
    out.serverName = client.name
    -- Count this file's diagnostics from here on (the init's client has the default handler).
    local default = vim.lsp.handlers['textDocument/publishDiagnostics']
    vim.lsp.handlers['textDocument/publishDiagnostics'] = function(e, result, ctx, c)
      if result and result.uri == target_uri then out.publishCount = out.publishCount + 1 end
      return default(e, result, ctx, c)
    end
    out.initialized = not client.is_stopped()
    if #vim.diagnostic.get(buf) > 0 then out.publishCount = out.publishCount + 1 end
  else
    client_id = vim.lsp.start_client({
      name = 'moeplan',
      cmd = cfg.cmd,
      root_dir = cfg.root,
      handlers = {
        ['textDocument/publishDiagnostics'] = function(e, result, ctx, c)
          if result and result.uri == target_uri then out.publishCount = out.publishCount + 1 end
          return vim.lsp.handlers['textDocument/publishDiagnostics'](e, result, ctx, c)
        end,
      },
      on_init = function(client) out.initialized = true; out.serverName = client.name end,
    })
    if not client_id then error('vim.lsp.start_client returned nil') end
    vim.cmd('edit ' .. vim.fn.fnameescape(cfg.file))
    buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].filetype = 'moeplan'
    if not vim.lsp.buf_attach_client(buf, client_id) then error('buf_attach_client failed') end
  end
  if not vim.wait(cfg.timeoutMs, function() return out.initialized end, 20) then
    out.timeout = 'server initialisation'; return
  end
  if not vim.wait(cfg.timeoutMs, function() return out.publishCount >= cfg.minPublishes end, 20) then
    out.timeout = 'publishDiagnostics'; return
  end
  if cfg.waitForDiagnostics then
    vim.wait(cfg.timeoutMs, function() return #vim.diagnostic.get(buf) > 0 end, 20)
  end
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local lsp = (d.user_data and d.user_data.lsp) or {}
    table.insert(out.diagnostics, { lnum = d.lnum, col = d.col, message = d.message, severity = d.severity,
      code = lsp.code, source = d.source })
  end
  if cfg.save then
    -- :write sends textDocument/didSave, which makes the server solve the plan.
    vim.cmd('silent write')
  end
  for _, q in ipairs(cfg.hovers) do
    local params = { textDocument = { uri = target_uri }, position = { line = q.line, character = q.character } }
    local deadline = vim.loop.now() + cfg.timeoutMs
    local text
    repeat
      text = ''
      local res = vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, cfg.timeoutMs)
      for _, r in pairs(res or {}) do
        if r.result and r.result.contents then
          local lines = vim.lsp.util.convert_input_to_markdown_lines(r.result.contents)
          text = text .. table.concat(lines, '\n')
        end
        if r.err then text = text .. 'ERROR: ' .. vim.inspect(r.err) end
      end
      -- Poll until the hover carries what the caller waits for (figures appear once solved).
      local done = (q['until'] == nil) or (text:find(q['until'], 1, true) ~= nil)
      if not done then vim.wait(200) end
    until done or vim.loop.now() > deadline
    table.insert(out.hovers, text)
  end
  vim.lsp.stop_client(client_id)
end)
if not ok then out.error = tostring(err) end
finish()
`;

export interface NeovimOptions {
  nvim: string;
  /** Command that starts the server over stdio. */
  serverCmd: string[];
  /** Plan file to open (absolute). */
  file: string;
  root: string;
  hovers?: NeovimHoverQuery[];
  /** Lua file run first that attaches the server itself (instead of the built-in start_client). */
  init?: string;
  /** Save the buffer (:write, i.e. didSave) before the hovers. */
  save?: boolean;
  /** Also wait until at least one diagnostic is stored (for a broken plan). */
  waitForDiagnostics?: boolean;
  minPublishes?: number;
  timeoutMs?: number;
}

/** Runs one headless Neovim session and returns what it received. */
export async function runNeovim(opts: NeovimOptions): Promise<NeovimRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'moeplan-nvim-'));
  try {
    const script = join(scratch, 'client.lua');
    const config = join(scratch, 'config.json');
    const output = join(scratch, 'out.json');
    const timeoutMs = opts.timeoutMs ?? 30_000;
    writeFileSync(script, LUA);
    writeFileSync(
      config,
      JSON.stringify({
        cmd: opts.serverCmd,
        file: opts.file,
        root: opts.root,
        output,
        hovers: opts.hovers ?? [],
        waitForDiagnostics: !!opts.waitForDiagnostics,
        save: !!opts.save,
        init: opts.init,
        minPublishes: opts.minPublishes ?? 1,
        timeoutMs,
      }),
    );
    const env = { ...isolatedEnv(scratch), MOEPLAN_NVIM_CONFIG: config };
    const child = spawnTracked(opts.nvim, ['--headless', '--clean', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${script}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: opts.root,
    });
    let log = '';
    child.stdout?.on('data', (d) => (log += d));
    child.stderr?.on('data', (d) => (log += d));
    const overall = timeoutMs * (3 + (opts.hovers?.length ?? 0));
    const exited = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), overall);
      child.on('exit', (c, s) => {
        clearTimeout(timer);
        resolve(c ?? String(s));
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve(`error: ${e.message}`);
      });
    });
    await stopTracked(child, 2_000);
    if (!existsSync(output)) {
      throw new Error(`Neovim wrote no result (exit: ${exited}); output:\n${log}`);
    }
    return JSON.parse(readFileSync(output, 'utf8')) as NeovimRun;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
