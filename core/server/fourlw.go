package server

var fourLetterWords = map[string]bool{"ruok": true, "srvr": true, "stat": true, "mntr": true, "conf": true,
	"cons": true, "crst": true, "srst": true, "envi": true, "wchs": true, "wchc": true, "wchp": true,
	"dump": true, "isro": true}

func isFourLetterWord(s string) bool { return fourLetterWords[s] }

func (c *conn) fourLetter(cmd string) {}
