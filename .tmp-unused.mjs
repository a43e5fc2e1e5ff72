import ts from 'typescript';
const files=process.argv.slice(2);
const p = ts.createProgram(files, { noUnusedLocals: true, strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true });
for (const d of ts.getPreEmitDiagnostics(p)) if (d.file && files.some(f=>d.file.fileName.endsWith(f))) console.log(d.file.fileName.replace(process.cwd()+'/',''), ts.flattenDiagnosticMessageText(d.messageText, ' '));
