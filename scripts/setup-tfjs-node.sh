#!/usr/bin/env bash
# Makes a real @tensorflow/tfjs-node (backend 'tensorflow') work on this machine, without the
# storage host its own install script downloads from (unreachable here):
#   1. installs @tensorflow/tfjs-node with its install script ignored, if it is missing;
#   2. downloads TensorFlow's CPU wheel from PyPI into .cache/tfjs-node/ (once; sha256 pinned);
#   3. lays libtensorflow out in node_modules/@tensorflow/tfjs-node/deps/{lib,include};
#   4. builds the native binding (tfjs_binding.node) from source with node-gyp;
#   5. checks that require('@tensorflow/tfjs-node') gives the 'tensorflow' backend.
# Idempotent: a rerun with everything in place only does step 5 (about a second).
#
# Where the TensorFlow C API comes from: the 2.9.1 wheel has no libtensorflow.so. Its C API
# (TF_*, TFE_*) is exported by tensorflow/python/_pywrap_tensorflow_internal.so, which needs
# libtensorflow_framework.so.2 and nothing else but some CPython symbols (Py*) that it leaves
# undefined for the interpreter to provide. A few of those are data (PyExc_*, Py*_Type, ...) and
# must resolve when the library loads. We generate an object with inert stand-ins for every
# undefined Py* symbol (never called outside Python) and link it into the addon itself through
# deps/lib/libtensorflow.so, which is a GNU ld script, so `-ltensorflow` in tfjs-node's
# binding.gyp pulls in both the C API library and the stand-ins whatever --as-needed says.
# The addon's rpath ($ORIGIN/../../deps/lib, from binding.gyp) finds the libraries: no
# LD_LIBRARY_PATH is needed.
#
# npm ci / npm install: tfjs-node's own install script (a download that cannot work here) is
# denied by "allowScripts" in package.json (npm 11); this script then does the build.
#
# Options: --force rebuilds deps/ and the binding even when they look up to date.
# Env: JOBS (default 2) caps the compile jobs; PYTHON (default python3) is used for pip.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

TFJS_NODE_VERSION=4.22.0
# The libtensorflow version tfjs-node 4.22.0 is built against (its scripts/deps-constants.js).
TF_VERSION=2.9.1
WHEEL=tensorflow_cpu-${TF_VERSION}-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
WHEEL_SHA256=6666ddeae45e1f41da788cb4bdea3435aba16edb0bc17b7ac00631c7c9eb052e
# Bump when the way deps/ or the binding is made changes, so old installs get rebuilt.
LAYOUT_REV=1

CACHE=$ROOT/.cache/tfjs-node
PKG=$ROOT/node_modules/@tensorflow/tfjs-node
JOBS=${JOBS:-2}
PYTHON=${PYTHON:-python3}
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ {print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "setup-tfjs-node: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "setup-tfjs-node: $*"; }
die() { echo "setup-tfjs-node: ERROR: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required ($2)"; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] ||
  die "only Linux x86_64 is supported (the pinned TensorFlow wheel is manylinux x86_64)"
need node "Node.js"
need npm "npm"
need "$PYTHON" "for pip and node-gyp"
need gcc "to compile the Python stand-ins"
need g++ "to compile the binding"
need make "node-gyp builds with make"
need nm "binutils, to list the wheel library's undefined symbols"

mkdir -p "$CACHE"
# One setup at a time (parallel CI jobs, two developers' shells).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
fi

verify() {
  # Run from the repo root so that resolution is the one the project's code sees.
  TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-1} node -e '
    const tf = require("@tensorflow/tfjs-node");
    const be = tf.getBackend();
    if (be !== "tensorflow") throw new Error("backend is " + be + ", not tensorflow");
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).arraySync();
    if (JSON.stringify(y) !== "[[19,22],[43,50]]") throw new Error("matMul gave " + JSON.stringify(y));
    const tfv = tf.backend().binding.TF_Version;
    console.log("setup-tfjs-node: OK: tfjs-node " + tf.version["tfjs-node"] +
                ", backend " + be + ", libtensorflow " + tfv);
  '
}

# ---- 1. the npm package -------------------------------------------------------------------
installed_version() {
  node -p "require('$PKG/package.json').version" 2>/dev/null || true
}
if [ "$(installed_version)" != "$TFJS_NODE_VERSION" ]; then
  log "installing @tensorflow/tfjs-node@$TFJS_NODE_VERSION (install script ignored)"
  # --no-save: package.json / package-lock.json already pin it; this only fills node_modules.
  npm install --no-save --ignore-scripts --no-audit --no-fund \
    "@tensorflow/tfjs-node@$TFJS_NODE_VERSION" ||
    die "npm install of @tensorflow/tfjs-node@$TFJS_NODE_VERSION failed"
  [ "$(installed_version)" = "$TFJS_NODE_VERSION" ] ||
    die "node_modules/@tensorflow/tfjs-node is not version $TFJS_NODE_VERSION after npm install"
fi
# tfjs-torch registers its kernels in tfjs-core's registry: there must be one tfjs-core only.
cores=$(find "$ROOT/node_modules" -path '*/@tensorflow/tfjs-core/package.json' | wc -l)
[ "$cores" = 1 ] ||
  die "found $cores copies of @tensorflow/tfjs-core in node_modules (want 1); see 'npm ls @tensorflow/tfjs-core'"

# Where tfjs-node will look for its addon (node-pre-gyp's rule: lib/napi-v<N>/tfjs_binding.node,
# N = the highest of its napi_versions that this Node supports).
ADDON=$(cd "$PKG" && node -p "require('@mapbox/node-pre-gyp').find(require('path').resolve('package.json'))") ||
  die "cannot work out the addon path with @mapbox/node-pre-gyp"
MODULE_PATH=$(dirname "$ADDON")
NAPI_VERSION=${MODULE_PATH##*napi-v}
STAMP_FILE=$PKG/deps/.tfjs-torch-setup
STAMP="tfjs-node=$TFJS_NODE_VERSION tf=$TF_VERSION napi=$NAPI_VERSION rev=$LAYOUT_REV"

if [ "$FORCE" = 0 ] && [ -f "$ADDON" ] && [ "$(cat "$STAMP_FILE" 2>/dev/null)" = "$STAMP" ]; then
  verify && exit 0
  log "the existing build does not load; rebuilding"
fi

# ---- 2. the wheel --------------------------------------------------------------------------
check_wheel() { echo "$WHEEL_SHA256  $CACHE/$WHEEL" | sha256sum -c --status; }
if [ -f "$CACHE/$WHEEL" ] && ! check_wheel; then
  log "cached wheel fails its sha256 check; downloading it again"
  rm -f "$CACHE/$WHEEL"
fi
if [ ! -f "$CACHE/$WHEEL" ]; then
  log "downloading tensorflow-cpu==$TF_VERSION from PyPI into .cache/tfjs-node/ (~200 MB)"
  rm -rf "$CACHE/download"
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.10 \
    --platform manylinux2014_x86_64 --implementation cp "tensorflow-cpu==$TF_VERSION" \
    -d "$CACHE/download" || die "pip download of tensorflow-cpu==$TF_VERSION failed"
  [ -f "$CACHE/download/$WHEEL" ] || die "pip did not produce $WHEEL: $(ls "$CACHE/download")"
  mv "$CACHE/download/$WHEEL" "$CACHE/$WHEEL"
  rm -rf "$CACHE/download"
  check_wheel || { rm -f "$CACHE/$WHEEL"; die "downloaded wheel fails its sha256 check"; }
fi

# ---- 3. deps/{lib,include} -----------------------------------------------------------------
log "laying out libtensorflow $TF_VERSION in node_modules/@tensorflow/tfjs-node/deps"
DEPS=$PKG/deps
rm -rf "$DEPS" "$PKG/lib" "$PKG/build"
mkdir -p "$DEPS/lib" "$DEPS/include" "$DEPS/wheel"
"$PYTHON" - "$CACHE/$WHEEL" "$DEPS/wheel" <<'PY' || die "unpacking the wheel failed"
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
wanted = ('tensorflow/libtensorflow_framework.so.2',
          'tensorflow/python/_pywrap_tensorflow_internal.so')
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist()
             if n in wanted
             or n.startswith('tensorflow/include/tensorflow/c/')
             or n.startswith('tensorflow/include/tensorflow/core/platform/')]
    missing = [w for w in wanted if w not in names]
    if missing:
        sys.exit('not in the wheel: ' + ', '.join(missing))
    for n in names:
        z.extract(n, dest)
PY
mv "$DEPS/wheel/tensorflow/libtensorflow_framework.so.2" "$DEPS/lib/"
mv "$DEPS/wheel/tensorflow/python/_pywrap_tensorflow_internal.so" "$DEPS/lib/"
mv "$DEPS/wheel/tensorflow/include/tensorflow" "$DEPS/include/"
rm -rf "$DEPS/wheel"
chmod 755 "$DEPS/lib/"*.so*

CAPI=$DEPS/lib/_pywrap_tensorflow_internal.so
CAPI_SYMS=$(nm -D --defined-only "$CAPI" | awk '{sub(/@.*/, "", $NF); print $NF}')
for sym in TF_Version TF_NewStatus TFE_NewContext TFE_Execute; do
  grep -qx "$sym" <<<"$CAPI_SYMS" ||
    die "$sym is not exported by _pywrap_tensorflow_internal.so: not the C API this expects"
done

# Inert stand-ins for the CPython symbols the library leaves undefined: functions that abort
# with a message (never reached: nothing calls into the Python bindings), zeroed data for the
# few objects whose addresses must resolve at load time.
PYSYMS=$(nm -D --undefined-only "$CAPI" | awk '{print $NF}' | grep -E '^_?Py[A-Za-z0-9_]*$' || true)
[ -n "$PYSYMS" ] || die "found no undefined Py* symbols in $CAPI; the stand-ins are not needed?"
{
  echo '/* Generated by scripts/setup-tfjs-node.sh: CPython stand-ins for _pywrap_tensorflow_internal.so. */'
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo 'static void tfjs_torch_no_python(const char *name) {'
  echo '  fprintf(stderr, "tfjs-node: CPython function %s called, but there is no Python here\n", name);'
  echo '  abort();'
  echo '}'
  for s in $PYSYMS; do
    if [[ $s =~ ^(PyExc_[A-Za-z]+|_Py_[A-Za-z]+Struct|Py[A-Za-z]*_Type)$ ]]; then
      echo "__attribute__((aligned(64))) unsigned char $s[1024];"
    else
      echo "void $s(void) { tfjs_torch_no_python(\"$s\"); }"
    fi
  done
} > "$DEPS/lib/tfjs_torch_pystubs.c"
gcc -c -fPIC -O1 -w -o "$DEPS/lib/tfjs_torch_pystubs.o" "$DEPS/lib/tfjs_torch_pystubs.c" ||
  die "compiling the CPython stand-ins failed"

# What binding.gyp's -ltensorflow / -ltensorflow_framework find.
cat > "$DEPS/lib/libtensorflow.so" <<EOF
/* GNU ld script written by scripts/setup-tfjs-node.sh: the TensorFlow C API of the
   tensorflow-cpu $TF_VERSION wheel, plus stand-ins for the CPython symbols it needs. */
INPUT("$DEPS/lib/tfjs_torch_pystubs.o" "$CAPI" "$DEPS/lib/libtensorflow_framework.so.2")
EOF
ln -s libtensorflow_framework.so.2 "$DEPS/lib/libtensorflow_framework.so"
# tfjs-node's own install script skips its download when this file is present.
ln -s _pywrap_tensorflow_internal.so "$DEPS/lib/libtensorflow.so.$TF_VERSION"

# ---- 4. the binding ------------------------------------------------------------------------
NODE_GYP=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
[ -f "$NODE_GYP" ] || NODE_GYP=$(find "$ROOT/node_modules" -path '*/node-gyp/bin/node-gyp.js' | head -n 1)
[ -n "$NODE_GYP" ] && [ -f "$NODE_GYP" ] || die "node-gyp not found (npm's bundled copy is used)"
# Node's headers: node-gyp would otherwise download them, which cannot work offline.
NODEDIR=${npm_config_nodedir:-}
if [ -z "$NODEDIR" ]; then
  for d in "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" /usr /usr/local; do
    if [ -f "$d/include/node/node_api.h" ]; then NODEDIR=$d; break; fi
  done
fi
[ -n "$NODEDIR" ] && [ -f "$NODEDIR/include/node/node_api.h" ] ||
  die "Node.js headers not found (looked for include/node/node_api.h next to node, in /usr and /usr/local)"

log "building tfjs_binding.node from source (node-gyp, -j$JOBS, N-API v$NAPI_VERSION)"
(
  cd "$PKG"
  node "$NODE_GYP" rebuild --jobs="$JOBS" --nodedir="$NODEDIR" \
    --napi_build_version="$NAPI_VERSION" --module_name=tfjs_binding --module_path="$MODULE_PATH" \
    > "$DEPS/build.log" 2>&1
) || { tail -n 40 "$DEPS/build.log" >&2; die "node-gyp build failed (full log: $DEPS/build.log)"; }
[ -f "$ADDON" ] || die "the build did not produce $ADDON (log: $DEPS/build.log)"
rm -rf "$PKG/build"

# ---- 5. check ------------------------------------------------------------------------------
verify || die "the freshly built tfjs-node does not load or compute right"
echo "$STAMP" > "$STAMP_FILE"
