import { pythonJson } from '#test-support';

/** For each file, whether the reference implementation (Python safetensors' safe_open) opens it. */
export function pythonAccepts(files: string[]): boolean[] {
  return pythonJson<boolean[]>(
    `
import json, sys
from safetensors import safe_open
res = []
for f in sys.argv[1:]:
    try:
        with safe_open(f, framework="numpy") as h:
            h.keys()
        res.append(True)
    except Exception:
        res.append(False)
print(json.dumps(res))
`,
    files,
  );
}
