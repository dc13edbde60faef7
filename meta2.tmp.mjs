import * as esbuild from 'esbuild';
const [entry, kn, mf] = process.argv.slice(2);
const r = await esbuild.build({ entryPoints:[entry], bundle:true, platform: 'node', format:'cjs', minify:true, write:false, metafile:true, external:['vscode'], keepNames:kn==='1', outfile:'x.js', legalComments:'none', mainFields: mf? mf.split(','): undefined});
const out = Object.values(r.metafile.outputs)[0];
const byPkg = {};
for (const [f, v] of Object.entries(out.inputs)) { const m = [...f.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].pop(); const k = m? m[1] : f.split('/').slice(0,3).join('/'); byPkg[k]=(byPkg[k]||0)+v.bytesInOutput; }
console.log(entry, out.bytes); for (const [k,v] of Object.entries(byPkg).sort((a,b)=>b[1]-a[1]).slice(0,10)) console.log('  ', k, v);
