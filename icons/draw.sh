#!/usr/bin/env bash
# Redraws the app and tray icons (an isometric desk with a smiling monitor) with ImageMagick.
# Tauri needs RGBA PNGs (PNG32); src-tauri/tauri.conf.json lists them, the tray embeds tray.png.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

convert -size 512x512 xc:none \
  -fill '#4f7cff' -draw 'roundrectangle 16,16 496,496 96,96' \
  -fill '#3a5fd6' -draw 'polygon 256,400 440,304 440,330 256,426 72,330 72,304' \
  -fill '#f3d9a8' -draw 'polygon 256,200 440,296 256,392 72,296' \
  -fill '#c99a5b' -draw 'polygon 72,296 256,392 256,420 72,324' \
  -fill '#b0844a' -draw 'polygon 256,392 440,296 440,324 256,420' \
  -stroke '#8a6236' -strokewidth 14 \
  -draw 'line 90,330 90,420' -draw 'line 256,424 256,470' -draw 'line 422,330 422,420' \
  -stroke none \
  -fill '#2a3358' -draw 'polygon 236,310 276,290 300,302 260,322' \
  -fill '#2a3358' -draw 'polygon 262,300 276,293 276,250 262,257' \
  -fill '#1d2540' -draw 'polygon 168,160 330,244 330,364 168,280' \
  -fill '#7ef0c0' -draw 'polygon 182,180 316,250 316,342 182,272' \
  -fill '#1d2540' -draw 'circle 222,240 222,252' -draw 'circle 276,268 276,280' \
  -stroke '#1d2540' -strokewidth 9 -fill none -draw 'bezier 222,278 246,304 262,308 280,296' \
  -stroke none \
  -fill '#ff8fb1' -draw 'circle 206,262 206,270' -draw 'circle 294,308 294,316' \
  -fill '#ffffff' -draw 'polygon 352,226 392,246 392,262 352,242' \
  -fill '#e8c88e' -draw 'polygon 352,242 392,262 392,268 352,248' \
  "$tmp/app.png"

# The tray glyph: fewer details so it still reads at 32x32.
convert -size 512x512 xc:none \
  -fill '#4f7cff' -draw 'roundrectangle 0,0 511,511 110,110' \
  -fill '#f3d9a8' -draw 'polygon 256,210 470,320 256,430 42,320' \
  -fill '#c99a5b' -draw 'polygon 42,320 256,430 256,480 42,370' \
  -fill '#b0844a' -draw 'polygon 256,430 470,320 470,370 256,480' \
  -fill '#1d2540' -draw 'polygon 140,110 350,220 350,380 140,270' \
  -fill '#7ef0c0' -draw 'polygon 162,140 328,226 328,350 162,264' \
  -fill '#1d2540' -draw 'circle 215,225 215,247' -draw 'circle 285,262 285,284' \
  "$tmp/tray.png"

convert "$tmp/app.png" -resize 256x256 PNG32:icon.png
convert "$tmp/app.png" -resize 128x128 PNG32:128x128.png
convert "$tmp/app.png" -resize 32x32 PNG32:32x32.png
convert "$tmp/tray.png" -resize 32x32 PNG32:tray.png
