# Sourced by the wrapper scripts: find_tool SUBDIR NAME prints the path of a built statelab tool
# ($STATELAB_BUILD_DIR/SUBDIR/NAME or build/release/SUBDIR/NAME first, else the newest under
# build/*/), building it with the release preset when none exists. Needs $root (the repo root).
find_tool() {
  local sub=$1 name=$2 candidate newest=""
  for candidate in ${STATELAB_BUILD_DIR:+"$STATELAB_BUILD_DIR/$sub/$name"} \
                   "$root/build/release/$sub/$name" "$root"/build/*/"$sub/$name"; do
    if [[ -x "$candidate" ]]; then
      if [[ -z "$newest" || "$candidate" -nt "$newest" ]]; then newest=$candidate; fi
      # An explicit build dir or the release preset wins over other build folders.
      if [[ "$candidate" == "${STATELAB_BUILD_DIR:-/nonexistent}/$sub/$name" ||
            "$candidate" == "$root/build/release/$sub/$name" ]]; then
        echo "$candidate"; return 0
      fi
    fi
  done
  [[ -n "$newest" ]] && { echo "$newest"; return 0; }
  echo "$(basename "$0" .sh): $name not built; building it with the release preset" >&2
  (cd "$root" && cmake --preset release >&2 && cmake --build build/release --target "$name" >&2) \
    || return 1
  echo "$root/build/release/$sub/$name"
}
