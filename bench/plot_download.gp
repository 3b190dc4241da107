# The download race (bench/get): median time per downloader and scenario,
# with the fastest and slowest run as error bars and the median written on
# each bar. Called by get_helper.py:
#   gnuplot -e "datafile='...'; outfile='...'; size='1 GiB'; logscale=0; ymin=0" bench/plot_download.gp
# datafile columns: label  median  min  max   (one row per downloader and scenario)
# logscale=1 (get_helper sets it when the slowest median is over 10x the
# fastest, as transmission-cli's is) draws the time axis logarithmic from
# ymin (a power of ten below the fastest run).
if (!exists("size")) size = "1 GiB"
if (!exists("logscale")) logscale = 0
if (!exists("ymin")) ymin = 0.1
set terminal pngcairo size 1100,440 font ",11"
set output outfile
set title sprintf("Download %s from 3 local seeders (bench/get): median time, min-max bars", size)
set style data histogram
set style histogram errorbars gap 2 lw 1.5
set style fill solid 0.7 border -1
set boxwidth 0.9
set grid ytics
set key off
set xtics noenhanced font ",10"
if (logscale) {
    set logscale y
    set yrange [ymin:*]
    set ylabel "seconds, log scale (lower is better)"
} else {
    set yrange [0:*]
    set ylabel "seconds (lower is better)"
}
plot datafile using 2:3:4:xtic(1) linecolor rgb "#3b7dd8", \
     '' using ($0):($2):($2 < 10 ? sprintf("%.2f", $2) : sprintf("%.0f", $2)) with labels offset 1.6,0.6 font ",9"
