#!/usr/bin/env bash
# screenshots.sh - regenerates screenshots/*.png from the real binary on the demo cluster:
# kscope runs in tmux, each screen is captured with its colours (capture-pane -e) and rendered
# to PNG by scripts/ansi2png.py. Installs tmux, the DejaVu font and Pillow (in a venv under
# target/) when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]] || missing+=(fonts-dejavu-core)
if ((${#missing[@]})); then apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; fi
venv=target/screenshot-venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pillow
fi
cargo build --release --locked
bin=$PWD/target/release/kscope
out=$PWD/screenshots
capture_dir=$(mktemp -d)
sock=kscope-shots-$$
tmux_() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tmux_ kill-server 2>/dev/null || true; rm -rf "$capture_dir"' EXIT

tmux_ new-session -d -s k -x 120 -y 34 "KSCOPE_DATA_DIR=$capture_dir $bin demo"
keys() { for k in "$@"; do tmux_ send-keys -t k "$k"; sleep 0.4; done; }
shot() {
  sleep "${2:-1}"
  tmux_ capture-pane -e -N -p -t k >"$capture_dir/$1.ansi"
  "$venv/bin/python" scripts/ansi2png.py "$capture_dir/$1.ansi" "$out/$1.png"
  echo "screenshots/$1.png" >&2
}

# Let rates, trends, lag and group status (judged over two minutes) build up.
sleep 150
shot overview 0
keys 2; shot topics
keys j Enter; shot topic 2
keys t; sleep 2; keys Enter; shot tail 2
keys Escape Escape Escape 3; shot groups 2
keys : "group analytics" Enter; shot group 6
keys '?'; shot help
keys Escape q
