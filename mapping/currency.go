package mapping

import "sort"

// currencyCodes lists the active ISO 4217 currency codes (List One, 2025:
// national currencies, funds codes, precious metals and the X codes),
// three letters each, concatenated in sorted order so a lookup is a binary
// search without any map. Withdrawn codes (HRK, SLL, ZWL, CUC, ...) are not
// here; ANG is kept as it is still used during its changeover to XCG.
const currencyCodes = "" +
	"AEDAFNALLAMDANGAOAARSAUDAWGAZNBAMBBDBDTBGNBHDBIF" +
	"BMDBNDBOBBOVBRLBSDBTNBWPBYNBZDCADCDFCHECHFCHWCLF" +
	"CLPCNYCOPCOUCRCCUPCVECZKDJFDKKDOPDZDEGPERNETBEUR" +
	"FJDFKPGBPGELGHSGIPGMDGNFGTQGYDHKDHNLHTGHUFIDRILS" +
	"INRIQDIRRISKJMDJODJPYKESKGSKHRKMFKPWKRWKWDKYDKZT" +
	"LAKLBPLKRLRDLSLLYDMADMDLMGAMKDMMKMNTMOPMRUMURMVR" +
	"MWKMXNMXVMYRMZNNADNGNNIONOKNPRNZDOMRPABPENPGKPHP" +
	"PKRPLNPYGQARRONRSDRUBRWFSARSBDSCRSDGSEKSGDSHPSLE" +
	"SOSSRDSSPSTNSVCSYPSZLTHBTJSTMTTNDTOPTRYTTDTWDTZS" +
	"UAHUGXUSDUSNUYIUYUUYWUZSVEDVESVNDVUVWSTXAFXAGXAU" +
	"XBAXBBXBCXBDXCDXCGXDRXOFXPDXPFXPTXSUXTSXUAXXXYER" +
	"ZARZMWZWG"

// isCurrency reports whether code (three upper-case letters) is an active
// ISO 4217 code.
func isCurrency(code string) bool {
	n := len(currencyCodes) / 3
	i := sort.Search(n, func(i int) bool { return currencyCodes[i*3:i*3+3] >= code })
	return i < n && currencyCodes[i*3:i*3+3] == code
}
