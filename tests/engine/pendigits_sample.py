"""Two pen digits in the UNIPEN text of ``../shared/datasets/pendigits/`` (a 7 in two strokes
by writer 3, a 1 by writer 14), for the tests of ``engine/pendigits.py`` and the CLI."""

UNIPEN = """.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.HIERARCHY      DIGIT

.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 3  12
.PEN_DOWN
 100  400
 300  400
 150  100
.PEN_UP
.PEN_DOWN
 120  250
 260  250
.PEN_UP
.DT 100

.SEGMENT DIGIT    1 ? "1"
.COMMENT 1 14  7
.PEN_DOWN
 200  400
 200  100
.PEN_UP
"""
