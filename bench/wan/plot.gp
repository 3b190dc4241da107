# bench/wan figure: every leecher's completion time per swarm kind and N
# (points coloured by the leecher's client, all runs; spread sideways so they
# do not hide each other), the median time until the last leecher finished
# (a cross) and the Kumar-Ross bound T_min (a dash). Called by
# bench/wan/wan_report.py:
#   gnuplot -e "datafile='...'; outfile='...'; ncat=N" bench/wan/plot.gp
# datafile: block 0: index "label" tmin median_last; blocks 1-4: x time of
# the leechers that are ours, aria2c, libtorrent, transmission.
set terminal pngcairo size 1200,560 font ",11"
set output outfile
set title "WAN swarms (bench/wan): leecher completion times, median last finish and T_min" noenhanced
set grid ytics
set key outside right top noenhanced
set xrange [-0.6:ncat-0.4]
set yrange [0:*]
set ylabel "seconds from the leechers' start (lower is better)"
set xtics noenhanced rotate by -25 font ",10"
plot datafile index 1 using 1:2 with points pt 7 ps 0.7 lc rgb "#3b7dd8" title "ours", \
     datafile index 2 using 1:2 with points pt 5 ps 0.6 lc rgb "#27ae60" title "aria2c", \
     datafile index 3 using 1:2 with points pt 9 ps 0.8 lc rgb "#8e44ad" title "libtorrent", \
     datafile index 4 using 1:2 with points pt 11 ps 0.8 lc rgb "#e67e22" title "transmission", \
     datafile index 0 using ($1-0.4):3:(0.8):(0) with vectors nohead lw 2 dt 2 lc rgb "#c0392b" title "T_min (Kumar-Ross)", \
     datafile index 0 using 1:4:xtic(2) with points pt 2 ps 2.2 lw 2 lc rgb "#222222" title "median last finish"
