#!/usr/bin/env bash
# vendor-rdkafka-sys.sh - rebuild vendor/rdkafka-sys from the crates.io source of rdkafka-sys:
# copy it, trim what the build does not use, apply vendor/rdkafka-sys/patches/*.patch in order.
# See vendor/rdkafka-sys/PATCHES.md.
#
# Usage:
#   scripts/vendor-rdkafka-sys.sh VERSION            re-vendor (e.g. 4.10.0+2.12.1)
#   scripts/vendor-rdkafka-sys.sh --check [VERSION]  exit 0 if vendor/rdkafka-sys is exactly
#                                                    that crate, trimmed and patched
# VERSION defaults to the one in vendor/rdkafka-sys/Cargo.toml. The crate must be in cargo's
# registry cache (~/.cargo/registry/src/*/rdkafka-sys-VERSION; `cargo fetch` puts it there).

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=$REPO_ROOT/vendor/rdkafka-sys

die() { echo "vendor-rdkafka-sys.sh: error: $*" >&2; exit 1; }

check=0
if [[ ${1:-} == --check ]]; then
    check=1
    shift
fi
version=${1:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$DEST/Cargo.toml" | head -n1)}
[[ -n $version ]] || die "no version given and none found in $DEST/Cargo.toml"

src=$(compgen -G "${CARGO_HOME:-$HOME/.cargo}/registry/src/*/rdkafka-sys-$version" | head -n1 || true)
[[ -n $src && -d $src ]] ||
    die "rdkafka-sys $version is not in cargo's registry cache; run \`cargo fetch\` without the [patch.crates-io] entry first"

# Builds the trimmed, patched tree from $src into $1, with the patches from $2.
build_tree() {
    local out=$1 patches=$2 p
    cp -a "$src/." "$out/"
    rm -f "$out/.cargo-ok" "$out/.cargo_vcs_info.json"
    (
        cd "$out/librdkafka"
        rm -rf tests examples win32 debian .github .semaphore Doxyfile mainpage.doxy service.yml \
            dev-conf.sh vcpkg.json .gdbmacros .dir-locals.el .clang-format .clang-format-cpp \
            .formatignore README.win32 INTRODUCTION.md STATISTICS.md
        find packaging -mindepth 1 -maxdepth 1 ! -name cmake ! -name get_version.py -exec rm -rf {} +
    )
    for p in "$patches"/*.patch; do
        [[ -e $p ]] || continue
        (cd "$out" && patch -p1 -s --no-backup-if-mismatch <"$p") ||
            die "$(basename "$p") does not apply to rdkafka-sys $version: redo it by hand (see PATCHES.md)"
    done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/vendor-rdkafka-sys.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree"
cp -a "$DEST/patches" "$work/patches"
build_tree "$work/tree" "$work/patches"

if ((check)); then
    if diff -r -q -x patches -x PATCHES.md "$work/tree" "$DEST"; then
        echo "vendor/rdkafka-sys is rdkafka-sys $version, trimmed, with $(find "$work/patches" -name '*.patch' | wc -l) patches applied"
        exit 0
    fi
    die "vendor/rdkafka-sys differs from rdkafka-sys $version + patches (see the list above)"
fi

cp -a "$DEST/PATCHES.md" "$work/PATCHES.md" 2>/dev/null || true
rm -rf "$DEST"
mkdir -p "$DEST"
cp -a "$work/tree/." "$DEST/"
cp -a "$work/patches" "$DEST/patches"
[[ -f $work/PATCHES.md ]] && cp -a "$work/PATCHES.md" "$DEST/PATCHES.md"
echo "vendored rdkafka-sys $version into vendor/rdkafka-sys; now: cargo update -p rdkafka-sys && cargo build"
