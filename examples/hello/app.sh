#!/bin/sh
echo "hello from image-budget's example ($(wc -l < /app/data.txt) lines of data)"
