#!/usr/bin/env bash
# Misuse and fault scenarios (issue 15), rerun as a user would, on a copy of the book at the smoke profile.
# Usage: bash scripts/fault_scenarios.sh   (about 25 minutes on 2 cores; writes only under /tmp/scen)
set -u
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
export AELIB_HOME=/tmp/scen/home AELIB_PROGRESS=0 OMP_NUM_THREADS=1
rm -rf /tmp/scen; mkdir -p /tmp/scen
cp -rL book /tmp/scen/book; rm -rf /tmp/scen/book/_build /tmp/scen/book/*.ipynb /tmp/scen/book/_generated
B=/tmp/scen/book
measured() { grep -o "[0-9]* of [0-9]* measured" $B/_build/html/intro.html | head -2 | tr '\n' ' '; }
step() { echo; echo "=== $*"; }
step "S0 first run"; $PY -m aelib run --profile smoke --book $B 2>&1 | grep -E "error|site:|failed" ; echo "rc=${PIPESTATUS[0]} $(measured)"
step "S1 rm -rf AELIB_HOME, run again"; rm -rf $AELIB_HOME
$PY -m aelib run --profile smoke --book $B 2>&1 | grep -cE "executing|: done in" ; echo "rc=${PIPESTATUS[0]} $(measured)"
step "S2 override steps 20"; AELIB_OVERRIDES='{"train.steps": 20}' $PY -m aelib run --profile smoke --book $B 2>&1 | grep -E "error|chapter\(s\)" ; echo "rc=${PIPESTATUS[0]} $(measured) marker: $(grep -c 'not</strong> the shipped' $B/_build/html/intro.html)"
step "S2b plain run after the override run"; $PY -m aelib run --profile smoke --book $B 2>&1 | grep -E "error|chapter\(s\)" ; echo "rc=${PIPESTATUS[0]} $(measured) marker: $(grep -c 'not</strong> the shipped' $B/_build/html/intro.html)"
step "S4 outputs cleared, key kept -> build"; $PY - <<'P'
import json; p="/tmp/scen/book/02_denoising.ipynb"; nb=json.load(open(p))
for c in nb["cells"]:
    if c["cell_type"]=="code": c["outputs"]=[]
json.dump(nb, open(p,"w"))
P
$PY -m aelib build --book $B 2>&1 | tail -2; echo "rc=${PIPESTATUS[0]}"
$PY -m aelib run --profile smoke --book $B 2>&1 | grep -E "executing|error|site:"; echo "rc=${PIPESTATUS[0]}"
step "S4b a real strict-build failure persists"; cp $B/intro.md /tmp/scen/intro.bak; echo '{ref}`no-such-label`' >> $B/intro.md
$PY -m aelib build --profile smoke --book $B >/dev/null 2>&1; echo "first build rc=$?"
$PY -m aelib build --profile smoke --book $B >/dev/null 2>&1; echo "second build rc=$?"
cp /tmp/scen/intro.bak $B/intro.md; $PY -m aelib build --profile smoke --book $B >/dev/null 2>&1; echo "fixed build rc=$?"
step "S5 two execute --only 01 --force at once"
$PY -m aelib execute --profile smoke --book $B --only 01 --force >/tmp/scen/a.log 2>&1 & p1=$!
$PY -m aelib execute --profile smoke --book $B --only 01 --force >/tmp/scen/b.log 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?; echo "rc=$r1 $r2"; grep -h "error\|Error" /tmp/scen/a.log /tmp/scen/b.log | head -3
step "S6 garbled ledger"; echo '{"key": "x", "records": [{"id": "C1", "ver' > $AELIB_HOME/ledger/smoke/01_identity.json
$PY -m aelib build --book $B 2>&1 | tail -1; $PY -m aelib run --profile smoke --book $B 2>&1 | grep -E "damaged|error|site:"; echo "rc=${PIPESTATUS[0]}"
step "S6b empty timings"; : > $AELIB_HOME/timings/smoke.json; $PY -m aelib run --profile smoke --book $B --force --only 01 2>&1 | grep -E "damaged|error|site:"; echo "rc=${PIPESTATUS[0]}"
step "S7 relative AELIB_HOME from another directory"; mkdir -p /tmp/scen/typed; (cd /tmp/scen/typed && AELIB_HOME=relhome $PY -m aelib execute --profile smoke --book $B --only 01 2>&1 | tail -1); ls /tmp/scen/typed/relhome; ls $B | grep -c relhome
step "S8 dataset folder with a relative AELIB_DATA"; (cd data && AELIB_DATA=photos AELIB_OVERRIDES='{"data.dataset": "folder"}' $PY -m aelib.train --profile smoke --model fc --seed 0 2>&1 | tail -2)
step "S9 build without --profile after a smoke run executes nothing"; $PY -m aelib build --book $B 2>&1 | grep -E "executing|site:|error"
step "S10 bad sizes"; for o in '{"train.batch_size": 0}' '{"train.lr": -0.1}' '{"data.image_size": 17}' '{"train.steps": true}' '{"data.n_eval": 100000}' '{"data.max_train": 0}'; do md5a=$(md5sum < $B/01_identity.ipynb); AELIB_OVERRIDES="$o" $PY -m aelib run --profile smoke --book $B --only 01 --force 2>&1 | tail -1; echo "  rc=${PIPESTATUS[0]} notebook unchanged: $([ "$md5a" = "$(md5sum < $B/01_identity.ipynb)" ] && echo yes || echo NO)"; done
AELIB_THREADS=two $PY -m aelib run --profile smoke --book $B 2>&1 | tail -1
step "S11 --book typo"; $PY -m aelib run --profile smoke --book /tmp/scen/bok 2>&1 | tail -1
step "S12 --only 01 with another chapter stale"; rm $B/05_diffusion.ipynb; $PY -m aelib run --profile smoke --book $B --only 01 2>&1 | tail -1; echo "rc=${PIPESTATUS[0]} 05 re-executed: $(ls $B/05_diffusion.ipynb 2>/dev/null | wc -l)"
step "S13 photo bytes"; echo "(unit test: tests/test_run_state.py::test_swapping_a_photos_bytes_changes_the_identity)"
echo; echo "=== done"
