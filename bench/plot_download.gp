# The download race (bench/get): median time per downloader and scenario,
# with the fastest and slowest run as error bars. Called by get_helper.py:
#   gnuplot -e "datafile='...'; outfile='...'" bench/plot_download.gp
# datafile columns: label  median  min  max   (one block per scenario)
set terminal pngcairo size 900,420 font ",11"
set output outfile
set title "Download 1 GiB from 3 local seeders (bench/get): median time, min-max bars"
set ylabel "seconds (lower is better)"
set style data histogram
set style histogram errorbars gap 2 lw 1.5
set style fill solid 0.7 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set key off
set xtics noenhanced
plot datafile using 2:3:4:xtic(1) linecolor rgb "#3b7dd8"
