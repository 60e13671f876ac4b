/* rawframe: send one hand-made Ethernet frame, so tests can try spoofing from inside a container.
 * Built static: it runs inside the busybox image through a read-only volume.
 *
 *   rawframe udp  IFACE SRC_MAC DST_MAC SRC_IP DST_IP DPORT PAYLOAD
 *   rawframe icmp IFACE SRC_MAC DST_MAC SRC_IP DST_IP          (echo request)
 *   rawframe arp  IFACE SRC_MAC SENDER_IP TARGET_IP            (broadcast ARP reply)
 *
 * A MAC of "auto" means the interface's own. Exit 0 once the frame was handed to the kernel. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct frame {
        uint8_t buf[1514];
        size_t len;
};

static int usage(void)
{
        fprintf(stderr, "usage: rawframe udp IFACE SRC_MAC DST_MAC SRC_IP DST_IP DPORT PAYLOAD\n"
                        "       rawframe icmp IFACE SRC_MAC DST_MAC SRC_IP DST_IP\n"
                        "       rawframe arp IFACE SRC_MAC SENDER_IP TARGET_IP\n");
        return 2;
}

static int parse_mac(int fd, const char *ifname, const char *s, uint8_t mac[6])
{
        struct ifreq ifr = {0};
        unsigned v[6];
        int i;

        if (strcmp(s, "auto") == 0) {
                snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
                if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
                        return -1;
                memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
                return 0;
        }
        if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
                return -1;
        for (i = 0; i < 6; i++) {
                if (v[i] > 0xff)
                        return -1;
                mac[i] = (uint8_t)v[i];
        }
        return 0;
}

static uint16_t checksum(const void *data, size_t len)
{
        const uint8_t *p = data;
        uint32_t sum = 0;
        size_t i;

        for (i = 0; i + 1 < len; i += 2)
                sum += (uint32_t)(p[i] << 8 | p[i + 1]);
        if (len & 1)
                sum += (uint32_t)(p[len - 1] << 8);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t)~sum);
}

static void put_eth(struct frame *f, const uint8_t src[6], const uint8_t dst[6], uint16_t type)
{
        struct ether_header *eh = (struct ether_header *)f->buf;

        memcpy(eh->ether_dhost, dst, 6);
        memcpy(eh->ether_shost, src, 6);
        eh->ether_type = htons(type);
        f->len = sizeof(*eh);
}

/* Appends an IPv4 header for a payload of plen bytes that the caller writes after it. */
static struct iphdr *put_ip(struct frame *f, struct in_addr src, struct in_addr dst, uint8_t proto,
                            size_t plen)
{
        struct iphdr *ip = (struct iphdr *)(f->buf + f->len);

        memset(ip, 0, sizeof(*ip));
        ip->version = 4;
        ip->ihl = 5;
        ip->ttl = 64;
        ip->protocol = proto;
        ip->tot_len = htons((uint16_t)(sizeof(*ip) + plen));
        ip->saddr = src.s_addr;
        ip->daddr = dst.s_addr;
        ip->check = checksum(ip, sizeof(*ip));
        f->len += sizeof(*ip) + plen;
        return ip;
}

static int build_udp(struct frame *f, char **a, const uint8_t src[6], const uint8_t dst[6])
{
        struct in_addr s, d;
        size_t n = strlen(a[5]);
        struct udphdr *u;
        long port = strtol(a[4], NULL, 10);

        if (!inet_aton(a[2], &s) || !inet_aton(a[3], &d) || port < 1 || port > 65535 || n > 1400)
                return -1;
        put_eth(f, src, dst, ETHERTYPE_IP);
        u = (struct udphdr *)(put_ip(f, s, d, IPPROTO_UDP, sizeof(*u) + n) + 1);
        u->source = htons(40000);
        u->dest = htons((uint16_t)port);
        u->len = htons((uint16_t)(sizeof(*u) + n));
        u->check = 0; /* optional for IPv4 */
        memcpy(u + 1, a[5], n);
        return 0;
}

static int build_icmp(struct frame *f, char **a, const uint8_t src[6], const uint8_t dst[6])
{
        struct in_addr s, d;
        struct icmphdr *ic;

        if (!inet_aton(a[2], &s) || !inet_aton(a[3], &d))
                return -1;
        put_eth(f, src, dst, ETHERTYPE_IP);
        ic = (struct icmphdr *)(put_ip(f, s, d, IPPROTO_ICMP, sizeof(*ic)) + 1);
        memset(ic, 0, sizeof(*ic));
        ic->type = ICMP_ECHO;
        ic->un.echo.id = htons((uint16_t)getpid());
        ic->un.echo.sequence = htons(1);
        ic->checksum = checksum(ic, sizeof(*ic));
        return 0;
}

static int build_arp(struct frame *f, char **a, const uint8_t src[6])
{
        static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        struct ether_arp *arp;
        struct in_addr sender, target;

        if (!inet_aton(a[1], &sender) || !inet_aton(a[2], &target))
                return -1;
        put_eth(f, src, bcast, ETHERTYPE_ARP);
        arp = (struct ether_arp *)(f->buf + f->len);
        arp->arp_hrd = htons(ARPHRD_ETHER);
        arp->arp_pro = htons(ETHERTYPE_IP);
        arp->arp_hln = 6;
        arp->arp_pln = 4;
        arp->arp_op = htons(ARPOP_REPLY);
        memcpy(arp->arp_sha, src, 6);
        memcpy(arp->arp_spa, &sender, 4);
        memcpy(arp->arp_tha, bcast, 6);
        memcpy(arp->arp_tpa, &target, 4);
        f->len += sizeof(*arp);
        return 0;
}

static int send_frame(int fd, const char *ifname, const struct frame *f)
{
        struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = 6};

        sll.sll_ifindex = (int)if_nametoindex(ifname);
        if (sll.sll_ifindex == 0)
                return -1;
        memcpy(sll.sll_addr, f->buf, 6);
        return sendto(fd, f->buf, f->len < 60 ? 60 : f->len, 0, (struct sockaddr *)&sll,
                      sizeof(sll)) < 0
                   ? -1
                   : 0;
}

int main(int argc, char **argv)
{
        struct frame f = {0};
        uint8_t src[6], dst[6];
        int fd, r = -1;

        if (argc < 2)
                return usage();
        fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
        if (fd < 0) {
                perror("rawframe: socket");
                return 1;
        }
        if (!strcmp(argv[1], "udp") && argc == 9 && parse_mac(fd, argv[2], argv[3], src) == 0 &&
            parse_mac(fd, argv[2], argv[4], dst) == 0)
                r = build_udp(&f, argv + 3, src, dst);
        else if (!strcmp(argv[1], "icmp") && argc == 7 &&
                 parse_mac(fd, argv[2], argv[3], src) == 0 &&
                 parse_mac(fd, argv[2], argv[4], dst) == 0)
                r = build_icmp(&f, argv + 3, src, dst);
        else if (!strcmp(argv[1], "arp") && argc == 6 && parse_mac(fd, argv[2], argv[3], src) == 0)
                r = build_arp(&f, argv + 3, src);
        if (r < 0) {
                close(fd);
                return usage();
        }
        if (send_frame(fd, argv[2], &f) < 0) {
                perror("rawframe: send");
                close(fd);
                return 1;
        }
        close(fd);
        return 0;
}
