struct hdr { unsigned short type; unsigned short len; };
struct pkt { struct hdr h; union { unsigned char raw[16]; unsigned int words[4]; } u; unsigned long long ts[]; };
struct pkt *pkt_ptr;
