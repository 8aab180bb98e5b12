#!/usr/bin/env bash
# render-prompts.sh -- render the TENESA IVR prompts from the manifest
# deployments/asterisk/sounds/prompts.yaml with espeak-ng (TTS placeholders
# until studio recordings exist) to 8 kHz mono 16-bit signed WAV:
#
#   deployments/asterisk/sounds/tenesa/id/<prompt-id>.wav   (voice id)
#   deployments/asterisk/sounds/tenesa/en/<prompt-id>.wav   (voice en)
#
# and measure every prompt (soxi -D) into deployments/asterisk/sounds/durations.json
# ({"tenesa/id/greeting-pagi": 4210, ...}, milliseconds).
#
# Idempotent: a prompt whose text, voice and settings are unchanged since the
# last render is not rendered again (rendered.tsv records what was rendered).
# A WAV that this script did not write (a studio recording dropped in at the
# same path) is never overwritten, only measured. WAVs of prompts removed from
# the manifest are deleted if this script rendered them.
#
# Usage: scripts/render-prompts.sh [--force] [--replace-recordings]
#   --force               re-render every TTS prompt, even if up to date
#   --replace-recordings  also overwrite WAVs this script did not write
# Environment: VOICE_ID (id), VOICE_EN (en), SPEED_ID (150), SPEED_EN (150)
# words per minute, ESPEAK (espeak-ng), GO (go).
# Needs: espeak-ng, sox (with soxi), go, sha256sum.
#   Debian/Ubuntu: apt-get install -y espeak-ng sox
set -euo pipefail

force=0
replace=0
for arg in "$@"; do
	case "$arg" in
	--force) force=1 ;;
	--replace-recordings) replace=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "render-prompts: unknown argument: $arg (see --help)" >&2
		exit 2
		;;
	esac
done

ESPEAK=${ESPEAK:-espeak-ng}
GO=${GO:-go}
VOICE_ID=${VOICE_ID:-id}
VOICE_EN=${VOICE_EN:-en}
SPEED_ID=${SPEED_ID:-150}
SPEED_EN=${SPEED_EN:-150}
# The telephone format of every rendered prompt, and the effects: cut
# espeak-ng's leading and trailing silence, keep 0.1 s before and 0.25 s
# after the speech, normalise to -3 dBFS.
SOX_OUT=(-r 8000 -c 1 -b 16 -e signed-integer)
SOX_EFFECTS=(silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0.1 0.25 norm -3)

missing=()
for tool in "$ESPEAK" sox soxi "$GO" sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
	echo "render-prompts: missing tool(s): ${missing[*]}" >&2
	echo "  Debian/Ubuntu: apt-get install -y espeak-ng sox    (go: https://go.dev/dl/)" >&2
	exit 1
fi
for v in "$VOICE_ID" "$VOICE_EN"; do
	if [[ $("$ESPEAK" --voices="$v" | wc -l) -lt 2 ]]; then
		echo "render-prompts: $ESPEAK has no voice '$v' (see espeak-ng --voices)" >&2
		exit 1
	fi
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dir=deployments/asterisk/sounds
manifest=$dir/prompts.yaml
ledger=$dir/rendered.tsv
durations=$dir/durations.json

[[ -f $manifest ]] || {
	echo "render-prompts: no manifest at $manifest" >&2
	exit 1
}
# The Go package embeds durations.json: it must exist for promptlist to build.
[[ -f $durations ]] || echo '{}' >"$durations"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "<lang>\t<prompt-id>\t<text>" per prompt and language, after the same checks
# as the Go package (both languages present, valid ids, one-line texts).
if ! "$GO" run "./$dir/cmd/promptlist" "$manifest" >"$tmp/list"; then
	echo "render-prompts: the manifest $manifest is not valid (see above)" >&2
	exit 1
fi

# Ledger of what this script rendered: key, sha256 of the WAV, sha256 of the
# render input (voice, speed, format, effects, text).
declare -A led_wav=() led_in=()
if [[ -f $ledger ]]; then
	while IFS=$'\t' read -r key wsum isum; do
		[[ -z $key || $key == \#* ]] && continue
		led_wav[$key]=$wsum
		led_in[$key]=$isum
	done <"$ledger"
fi

declare -A want=()
rendered=0 kept=0 recordings=0
: >"$tmp/ledger"
: >"$tmp/durations"

while IFS=$'\t' read -r lang name text; do
	case "$lang" in
	id) voice=$VOICE_ID speed=$SPEED_ID ;;
	en) voice=$VOICE_EN speed=$SPEED_EN ;;
	*)
		echo "render-prompts: unexpected language '$lang'" >&2
		exit 1
		;;
	esac
	key=tenesa/$lang/$name
	want[$key]=1
	wav=$dir/$key.wav
	mkdir -p "$(dirname "$wav")"
	isum=$(printf '%s\t%s\t%s\t%s\t%s' "$voice" "$speed" "${SOX_OUT[*]}" "${SOX_EFFECTS[*]}" "$text" | sha256sum | cut -d' ' -f1)

	ours=1 wsum=
	if [[ -f $wav ]]; then
		wsum=$(sha256sum "$wav" | cut -d' ' -f1)
		[[ ${led_wav[$key]:-} == "$wsum" ]] || ours=0
	fi

	if [[ -f $wav && $ours == 0 && $replace == 0 ]]; then
		echo "render-prompts: keeping $wav (not rendered by this script: a recording)" >&2
		recordings=$((recordings + 1))
		# Remember the TTS render it replaced, so putting that file back is recognised.
		if [[ -n ${led_wav[$key]:-} ]]; then
			printf '%s\t%s\t%s\n' "$key" "${led_wav[$key]}" "${led_in[$key]}" >>"$tmp/ledger"
		fi
	elif [[ -f $wav && $force == 0 && ${led_in[$key]:-} == "$isum" ]]; then
		kept=$((kept + 1))
		printf '%s\t%s\t%s\n' "$key" "$wsum" "$isum" >>"$tmp/ledger"
	else
		"$ESPEAK" -v "$voice" -s "$speed" -w "$tmp/tts.wav" -- "$text"
		sox -D "$tmp/tts.wav" "${SOX_OUT[@]}" "$tmp/out.wav" "${SOX_EFFECTS[@]}"
		if ! cmp -s "$tmp/out.wav" "$wav" 2>/dev/null; then
			mv "$tmp/out.wav" "$wav"
		fi
		wsum=$(sha256sum "$wav" | cut -d' ' -f1)
		printf '%s\t%s\t%s\n' "$key" "$wsum" "$isum" >>"$tmp/ledger"
		rendered=$((rendered + 1))
	fi

	secs=$(soxi -D "$wav")
	ms=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 + 0.5 }')
	if ((ms <= 0)); then
		echo "render-prompts: $wav has no audio" >&2
		exit 1
	fi
	printf '%s\t%s\n' "$key" "$ms" >>"$tmp/durations"
done <"$tmp/list"

# WAVs of prompts no longer in the manifest.
removed=0
while IFS= read -r -d '' wav; do
	key=${wav#"$dir"/}
	key=${key%.wav}
	[[ -n ${want[$key]:-} ]] && continue
	if [[ -n ${led_wav[$key]:-} && ${led_wav[$key]} == "$(sha256sum "$wav" | cut -d' ' -f1)" ]]; then
		rm -f "$wav"
		removed=$((removed + 1))
	else
		echo "render-prompts: $wav is not in the manifest (left in place, remove it by hand)" >&2
	fi
done < <(find "$dir/tenesa" -name '*.wav' -print0 2>/dev/null)

{
	echo "# Written by scripts/render-prompts.sh: the WAVs it rendered (key, sha256 of the WAV, sha256 of voice+speed+format+text)."
	echo "# A WAV whose sha256 is not listed here is a recording and is never overwritten (unless --replace-recordings)."
	LC_ALL=C sort "$tmp/ledger"
} >"$ledger.tmp"
mv "$ledger.tmp" "$ledger"

LC_ALL=C sort "$tmp/durations" | awk -F'\t' '
	BEGIN { printf "{" }
	{ printf "%s\n  \"%s\": %d", (NR > 1 ? "," : ""), $1, $2 }
	END { printf "\n}\n" }' >"$durations.tmp"
mv "$durations.tmp" "$durations"

total=$(wc -l <"$tmp/list")
size=$(du -sh "$dir/tenesa" | cut -f1)
echo "render-prompts: $total prompts: $rendered rendered, $kept up to date, $recordings recordings kept, $removed removed; $size in $dir/tenesa; $durations written"
