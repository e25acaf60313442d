#!/usr/bin/env python3
"""Writes the files under fixtures/: small NF-e files (valid, duplicate, resent, encodings,
layouts) with a broken twin for each failure batchimp types, and ZIPs (one nested).
Run it from anywhere: python3 tests/make_fixtures.py. Output is deterministic."""
import os, zipfile, io, shutil
import sys
OUT=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
for d in ('nfe','zip','other','cfdi','eventos','catalog','retenciones'): shutil.rmtree(os.path.join(OUT, d), ignore_errors=True)
os.makedirs(OUT+'/nfe'); os.makedirs(OUT+'/zip'); os.makedirs(OUT+'/other'); os.makedirs(OUT+'/cfdi'); os.makedirs(OUT+'/eventos'); os.makedirs(OUT+'/catalog'); os.makedirs(OUT+'/retenciones')

def dv(k43):
    s=sum((ord(d)-48)*(2+i%8) for i,d in enumerate(reversed(k43)))  # letters of an alphanumeric CNPJ count as ASCII-48
    r=s%11
    return '0' if r<2 else str(11-r)

def key(uf, aamm, cnpj, mod, serie, nnf, cnf):
    k=f"{uf}{aamm}{cnpj}{mod:02d}{serie:03d}{nnf:09d}1{cnf:08d}"
    assert len(k)==43, k
    return k+dv(k)

def nfe(k, *, versao='4.00', mod=55, serie=1, nnf=1, emit=('12345678000195','Comércio São João Ltda','SP'),
        dest=('CNPJ','98765432000198','Distribuidora Araújo & Filhos S.A.','MG'), items=None, prot=True,
        prefix='', ns=True, dhemi='2026-10-05T10:15:00-03:00', natop='Venda de mercadoria', extra_ide='',
        imposto_extra='', after_total='', supl='', c_stat='100'):
    items = items or [('001','7891234567895','CAFÉ TORRADO E MOÍDO 500G','09012100','5102','UN','10.0000','18.5000','185.00','33.30'),
                      ('002','SEM GTIN','AÇÚCAR REFINADO 1KG','17019900','5102','FD','5.0000','24.9000','124.50','22.41')]
    p = prefix
    def t(name, body):
        if not body.startswith('<'): body = body.replace('&','&amp;')
        return f"<{p}{name}>{body}</{p}{name}>"
    dets=''
    vprod=0; vicms=0
    for i,(cp,ean,xp,ncm,cfop,u,q,vu,vp,vi) in enumerate(items,1):
        vprod+=float(vp); vicms+=float(vi)
        dets+=(f'<{p}det nItem="{i}">'+t('prod', t('cProd',cp)+t('cEAN',ean)+t('xProd',xp)+t('NCM',ncm)+t('CFOP',cfop)+t('uCom',u)+t('qCom',q)+t('vUnCom',vu)+t('vProd',vp)+t('indTot','1'))
               +t('imposto', t('ICMS', t('ICMS00', t('orig','0')+t('CST','00')+t('modBC','3')+t('vBC',vp)+t('pICMS','18.00')+t('vICMS',vi)))
                  +t('PIS', t('PISAliq', t('CST','01')+t('vBC',vp)+t('pPIS','1.65')+t('vPIS',f"{float(vp)*0.0165:.2f}")))
                  +t('COFINS', t('COFINSAliq', t('CST','01')+t('vBC',vp)+t('pCOFINS','7.60')+t('vCOFINS',f"{float(vp)*0.076:.2f}")))+imposto_extra)
               +f'</{p}det>')
    dkind, did, dname, duf = dest if dest else (None,)*4
    demi_tag = 'dEmi' if versao=='2.00' else 'dhEmi'
    demi_val = dhemi[:10] if versao=='2.00' else dhemi
    ide = t('ide', t('cUF',k[:2])+t('cNF',k[35:43])+t('natOp',natop)+t('mod',str(mod))+t('serie',str(serie))+t('nNF',str(nnf))+t(demi_tag,demi_val)+t('tpNF','1')+t('tpAmb','2')+extra_ide)
    em = t('emit', t('CNPJ',emit[0])+t('xNome',emit[1])+t('enderEmit', t('xLgr','Rua XV de Novembro')+t('nro','100')+t('xMun','São Paulo')+t('UF',emit[2]))+t('IE','111222333444'))
    de = t('dest', t(dkind,did)+t('xNome',dname)+t('enderDest', t('xMun','Belo Horizonte')+t('UF',duf))) if dest else ''
    tot = t('total', t('ICMSTot', t('vBC',f"{vprod:.2f}")+t('vICMS',f"{vicms:.2f}")+t('vST','0.00')+t('vProd',f"{vprod:.2f}")+t('vFrete','0.00')+t('vSeg','0.00')+t('vDesc','0.00')+t('vII','0.00')+t('vIPI','0.00')+t('vPIS','0.00')+t('vCOFINS','0.00')+t('vOutro','0.00')+t('vNF',f"{vprod:.2f}")))
    xmlns = ' xmlns="http://www.portalfiscal.inf.br/nfe"' if ns and not p else (f' xmlns:{p[:-1]}="http://www.portalfiscal.inf.br/nfe"' if p else '')
    inf = f'<{p}infNFe versao="{versao}" Id="NFe{k}">'+ide+em+de+dets+tot+after_total+f'</{p}infNFe>'+supl
    sig = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Reference URI="#NFe'+k+'"><DigestValue>abc=</DigestValue></Reference></SignedInfo><SignatureValue>c2lnbmF0dXJl</SignatureValue></Signature>'
    if prot:
        body = f'<{p}nfeProc versao="{versao}"{xmlns}><{p}NFe>'+inf+sig+f'</{p}NFe>'+t('protNFe', f'<{p}infProt>'+t('tpAmb','2')+t('chNFe',k)+t('dhRecbto','2026-10-05T10:15:09-03:00')+t('nProt','135260000000001')+t('cStat',c_stat)+t('xMotivo','Autorizado o uso da NF-e')+f'</{p}infProt>')+f'</{p}nfeProc>'
    else:
        body = f'<{p}NFe{xmlns}>'+inf+sig+f'</{p}NFe>'
    return body

def write(path, text, enc='utf-8', decl=True, bom=False):
    d = f'<?xml version="1.0" encoding="{enc.upper()}"?>\n' if decl else ''
    data = (d+text+'\n').encode(enc)
    if bom: data = b'\xef\xbb\xbf'+data
    open(path,'wb').write(data)
    return data

C='12345678000195'
k1=key('35','2610',C,55,1,1001,10010010)
k2=key('35','2610',C,55,1,1002,10020020)
k3=key('35','2610',C,65,2,3,30030030)
k4=key('31','1210','11222333000181',55,1,77,77007700)
k5=key('35','2610',C,55,1,1005,10050050)
k6=key('35','2610',C,55,1,1006,10060060)
k7=key('35','2610',C,55,1,1007,10070070)
k8=key('35','2610',C,55,1,1008,10080080)
kz1=key('35','2610',C,55,1,2001,20010010)
kz2=key('35','2610',C,55,1,2002,20020020)
kz3=key('35','2610',C,55,1,2003,20030030)
kz4=key('35','2610',C,55,1,2004,20040040)

v1 = write(OUT+'/nfe/nfe-v4-authorized.xml', nfe(k1, nnf=1001))
open(OUT+'/nfe/nfe-v4-authorized_copy.xml','wb').write(v1)                       # byte-identical duplicate
write(OUT+'/nfe/nfe-v4-authorized_resent-same-key.xml', nfe(k1, nnf=1001, natop='Venda de mercadoria (reenvio)'))  # same key, other bytes
pag310 = '<nfe:pag><nfe:tPag>01</nfe:tPag><nfe:vPag>309.50</nfe:vPag></nfe:pag>'   # layout 3.10: pag itself repeats
write(OUT+'/nfe/nfe-v3.10-prefixed-unsigned.xml', nfe(k2, versao='3.10', nnf=1002, prot=False, prefix='nfe:', after_total=pag310))
# the same NF-e, now with its protocol: enriches the bare copy imported just before it
write(OUT+'/nfe/nfe-v3.10-prefixed-unsigned_authorized.xml', nfe(k2, versao='3.10', nnf=1002, prefix='nfe:', after_total=pag310))
supl = (f'<infNFeSupl><qrCode><![CDATA[https://www.homologacao.nfce.fazenda.sp.gov.br/qrcode?p={k3}|2|2|1|3A5F]]></qrCode>'
        '<urlChave>https://www.homologacao.nfce.fazenda.sp.gov.br/consulta</urlChave></infNFeSupl>')
pag65 = ('<pag><detPag><indPag>0</indPag><tPag>03</tPag><vPag>5.00</vPag><card><tpIntegra>1</tpIntegra><CNPJ>01027058000191</CNPJ>'
         '<tBand>01</tBand><cAut>A1B2C3</cAut></card></detPag><detPag><tPag>01</tPag><vPag>5.00</vPag></detPag><vTroco>2.05</vTroco></pag>')
write(OUT+'/nfe/nfce-model65.xml', nfe(k3, mod=65, serie=2, nnf=3, dest=None,
      items=[('10','7890000000017','PÃO FRANCÊS KG','19052090','5102','KG','0.5000','15.9000','7.95','1.43')], after_total=pag65, supl=supl))
write(OUT+'/nfe/nfe-v2.00-no-namespace.xml', nfe(k4, versao='2.00', nnf=77, ns=False, emit=('11222333000181','Indústria Três Corações Ltda','MG'),
      dest=('CPF','12345678909','José Conceição','MG')))
write(OUT+'/nfe/nfe-iso-8859-1.xml', nfe(k5, nnf=1005), enc='iso-8859-1')
write(OUT+'/nfe/nfe-utf8-bom.xml', nfe(k6, nnf=1006), bom=True)
write(OUT+'/nfe/nfe-foreign-buyer.xml', nfe(k7, nnf=1007, dest=('idEstrangeiro','AR-20304050','Comercial Peñarol S.R.L.','EX')))
good8 = nfe(k8, nnf=1008)
# NF-e in full: transport, installments, payments, additional info, 2026 IBS/CBS item taxes, and an
# issuer with the 2026 alphanumeric CNPJ (in the key too)
CA = '12ABC34501DE35'
kp = key('35','2610',CA,55,1,1010,10100100)
ibscbs = ('<IBSCBS><CST>000</CST><cClassTrib>000001</cClassTrib><gIBSCBS><vBC>185.00</vBC><gIBSUF><pIBSUF>0.10</pIBSUF><vIBSUF>0.19</vIBSUF></gIBSUF>'
          '<gIBSMun><pIBSMun>0.00</pIBSMun><vIBSMun>0.00</vIBSMun></gIBSMun><vIBS>0.19</vIBS><gCBS><pCBS>0.90</pCBS><vCBS>1.67</vCBS></gCBS></gIBSCBS></IBSCBS>'
          '<vTotTrib>58.10</vTotTrib>')
full = ('<transp><modFrete>0</modFrete><transporta><CNPJ>49929194000284</CNPJ><xNome>Transportes Rápidos &amp; Cia</xNome><UF>SP</UF></transporta>'
        '<vol><qVol>3</qVol></vol></transp>'
        '<cobr><fat><nFat>1010</nFat><vOrig>309.50</vOrig><vLiq>309.50</vLiq></fat><dup><nDup>001</nDup><dVenc>2026-11-05</dVenc><vDup>103.17</vDup></dup>'
        '<dup><nDup>002</nDup><dVenc>2026-12-05</dVenc><vDup>103.17</vDup></dup><dup><nDup>003</nDup><dVenc>2027-01-05</dVenc><vDup>103.16</vDup></dup></cobr>'
        '<pag><detPag><indPag>1</indPag><tPag>15</tPag><vPag>309.50</vPag></detPag></pag>'
        '<infAdic><infCpl>Pedido 4471; entregar no depósito 2.</infCpl></infAdic>')
write(OUT+'/nfe/nfe-v4-full-alphanumeric-cnpj.xml', nfe(kp, nnf=1010, emit=(CA,'Atacadista Alfa Numérica S.A.','SP'), imposto_extra=ibscbs, after_total=full))
# an NF-e cancelled by an event that sorts before it (eventos/ comes before nfe/)
kc = key('35','2610',C,55,1,1009,10090090)
write(OUT+'/nfe/nfe-v4-cancelled-by-event.xml', nfe(kc, nnf=1009))
# a wrapper with three NF-e
kw = [key('35','2610',C,55,3,n,n*10007) for n in (11,12,13)]
envi = '<enviNFe versao="4.00" xmlns="http://www.portalfiscal.inf.br/nfe"><idLote>202610050001</idLote><indSinc>0</indSinc>' + ''.join(
    nfe(k, serie=3, nnf=n, prot=False, ns=False) for k, n in zip(kw, (11,12,13))) + '</enviNFe>'
write(OUT+'/nfe/enviNFe-three-documents.xml', envi)

# ---- NF-e events, summaries, voiding ----
NS = 'http://www.portalfiscal.inf.br/nfe'
def evento(k, tp, seq, desc, det='', cnpj=C):
    return (f'<evento versao="1.00"><infEvento Id="ID{tp}{k}{seq:02d}"><cOrgao>35</cOrgao><tpAmb>2</tpAmb><CNPJ>{cnpj}</CNPJ><chNFe>{k}</chNFe>'
            f'<dhEvento>2026-10-06T09:00:00-03:00</dhEvento><tpEvento>{tp}</tpEvento><nSeqEvento>{seq}</nSeqEvento><verEvento>1.00</verEvento>'
            f'<detEvento versao="1.00"><descEvento>{desc}</descEvento>{det}</detEvento></infEvento>'
            '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>c2ln</SignatureValue></Signature></evento>')
def ret(k, tp, seq, cstat, nprot, desc='', motivo='Evento registrado e vinculado a NF-e'):
    return (f'<retEvento versao="1.00"><infEvento><tpAmb>2</tpAmb><verAplic>SP_EVENTOS_PL_100</verAplic><cOrgao>35</cOrgao><cStat>{cstat}</cStat>'
            f'<xMotivo>{motivo}</xMotivo><chNFe>{k}</chNFe><tpEvento>{tp}</tpEvento><xEvento>{desc}</xEvento><nSeqEvento>{seq}</nSeqEvento>'
            f'<dhRegEvento>2026-10-06T09:00:05-03:00</dhRegEvento><nProt>{nprot}</nProt></infEvento></retEvento>')
def proc(ev, r): return f'<procEventoNFe versao="1.00" xmlns="{NS}">{ev}{r}</procEventoNFe>'
E = OUT+'/eventos'
write(E+'/cancelamento-antes-da-nfe.xml', proc(evento(kc, 110111, 1, 'Cancelamento', '<nProt>135260000000001</nProt><xJust>Pedido cancelado pelo cliente antes do envio</xJust>'),
      ret(kc, 110111, 1, 135, '135260000009001', 'Cancelamento registrado')))
write(E+'/cce-nfe-autorizada.xml', proc(evento(k1, 110110, 1, 'Carta de Correcao', '<xCorrecao>Endereço de entrega: Rua das Flores, 200</xCorrecao>'
      '<xCondUso>A Carta de Correcao e disciplinada pelo paragrafo 1o-A do art. 7o do Convenio S/N</xCondUso>'), ret(k1, 110110, 1, 135, '135260000009002', 'Carta de Correcao registrada')))
# a request only (nothing says SEFAZ registered it): stored, never cancels its NF-e
write(E+'/pedido-cancelamento-sem-retorno.xml', f'<nfeDadosMsg xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4"><envEvento versao="1.00" xmlns="{NS}"><idLote>77</idLote>'
      + evento(k2, 110111, 1, 'Cancelamento', '<nProt>135260000000001</nProt><xJust>Erro na emissao da nota fiscal</xJust>') + '</envEvento></nfeDadosMsg>')
# SEFAZ's answer to a batch, alone: one cancellation registered (for the first NF-e of the wrapper), one rejected
write(E+'/retorno-lote-eventos.xml', f'<retEnvEvento versao="1.00" xmlns="{NS}"><idLote>78</idLote><tpAmb>2</tpAmb><verAplic>SP_EVENTOS_PL_100</verAplic><cOrgao>35</cOrgao>'
      '<cStat>128</cStat><xMotivo>Lote de Evento Processado</xMotivo>'
      + ret(kw[0], 110111, 1, 135, '135260000009003', 'Cancelamento registrado') + ret(kw[1], 110111, 1, 573, '', 'Cancelamento', 'Rejeicao: Duplicidade de evento')
      + '</retEnvEvento>')
# an event of a type batchimp does not know, for an NF-e that never arrives
kx = key('41','2609','99888777000166',55,1,5,50000005)
write(E+'/evento-tipo-desconhecido.xml', f'<evento versao="1.00" xmlns="{NS}">' + evento(kx, 999999, 1, 'Evento Futuro', '<xDado>qualquer</xDado>')[len('<evento versao="1.00">'):])
# distribution summaries and voiding
write(E+'/resumo-nfe.xml', f'<resNFe versao="1.01" xmlns="{NS}"><chNFe>{k1}</chNFe><CNPJ>{C}</CNPJ><xNome>Comércio São João Ltda</xNome><IE>111222333444</IE>'
      '<dhEmi>2026-10-05T10:15:00-03:00</dhEmi><tpNF>1</tpNF><vNF>999.99</vNF><digVal>abc=</digVal><dhRecbto>2026-10-05T10:15:09-03:00</dhRecbto>'
      '<nProt>135260000000001</nProt><cSitNFe>1</cSitNFe></resNFe>')
write(E+'/resumo-evento.xml', f'<resEvento versao="1.01" xmlns="{NS}"><cOrgao>35</cOrgao><CNPJ>{C}</CNPJ><chNFe>{kx}</chNFe><dhEvento>2026-10-06T09:00:00-03:00</dhEvento>'
      '<tpEvento>210200</tpEvento><nSeqEvento>1</nSeqEvento><xEvento>Confirmacao da Operacao</xEvento><dhRecbto>2026-10-06T09:00:05-03:00</dhRecbto>'
      '<nProt>135260000009004</nProt></resEvento>')
inut = ('<inutNFe versao="4.00"><infInut Id="ID35261234567800019555001000002000000002010"><tpAmb>2</tpAmb><xServ>INUTILIZAR</xServ><cUF>35</cUF><ano>26</ano>'
        f'<CNPJ>{C}</CNPJ><mod>55</mod><serie>1</serie><nNFIni>2000</nNFIni><nNFFin>2010</nNFFin><xJust>Falha no sistema pulou a numeracao</xJust></infInut></inutNFe>')
write(E+'/inutilizacao.xml', f'<procInutNFe versao="4.00" xmlns="{NS}">{inut}<retInutNFe versao="4.00"><infInut><tpAmb>2</tpAmb><verAplic>SP_NFE_PL009_V4</verAplic>'
      f'<cStat>102</cStat><xMotivo>Inutilizacao de numero homologado</xMotivo><cUF>35</cUF><ano>26</ano><CNPJ>{C}</CNPJ><mod>55</mod><serie>1</serie>'
      '<nNFIni>2000</nNFIni><nNFFin>2010</nNFFin><dhRecbto>2026-10-07T08:00:00-03:00</dhRecbto><nProt>135260000009005</nProt></infInut></retInutNFe></procInutNFe>')
write(E+'/broken-evento-sem-chave.xml', proc(evento(kc, 110110, 2, 'Carta de Correcao', '<xCorrecao>x</xCorrecao>').replace(f'<chNFe>{kc}</chNFe>', ''), ''))
badkc = kc[:43] + str((int(kc[43])+1)%10)
write(E+'/broken-evento-digito-verificador.xml', proc(evento(badkc, 110111, 1, 'Cancelamento', '<xJust>Chave com digito errado</xJust>'), ret(badkc, 110111, 1, 135, '135260000009006')))
# broken twins
bad = nfe(k8, nnf=1008).replace('</nNF>', '</nNFx>', 1)
write(OUT+'/nfe/broken-malformed.xml', bad)
full = ('<?xml version="1.0" encoding="UTF-8"?>\n'+good8).encode()
open(OUT+'/nfe/broken-truncated.xml','wb').write(full[:len(full)*2//3])
badk = k8[:43] + str((int(k8[43])+1)%10)
write(OUT+'/nfe/broken-bad-check-digit.xml', nfe(badk, nnf=1008))
write(OUT+'/nfe/broken-missing-key.xml', nfe(k8, nnf=1008).replace(f' Id="NFe{k8}"', ''). replace(f'<chNFe>{k8}</chNFe>',''))
write(OUT+'/nfe/broken-key-not-44-digits.xml', nfe(k8, nnf=1008).replace(k8, k8[:40]))
write(OUT+'/nfe/broken-amount-not-a-number.xml', nfe(k8, nnf=1008).replace('<vNF>', '<vNF>R$ ', 1))
open(OUT+'/nfe/broken-empty.xml','wb').write(b'')
write(OUT+'/nfe/broken-invalid-utf8.xml', nfe(k8, nnf=1008)) 
b = open(OUT+'/nfe/broken-invalid-utf8.xml','rb').read().replace('CAFÉ'.encode(), b'CAF\xc9', 1)
open(OUT+'/nfe/broken-invalid-utf8.xml','wb').write(b)
open(OUT+'/other/leia-me.txt','w').write('Notas fiscais de outubro: importar com batchimp.\n')
open(OUT+'/other/danfe.pdf','wb').write(b'%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')

# ---- CFDI (Mexico) ----
from xml.sax.saxutils import quoteattr as qa
def attrs(d): return ''.join(f' {k}={qa(str(v))}' for k, v in d.items())
def cfdi(version='4.0', uuid='9b1f0c7e-3a52-4d8e-9f10-2c4b6a8d0e11', *, tipo='I', emisor=('EKU9003173C9','ESCUELA KEMPER URGATE','601'),
         receptor=('MCI7306249Y1','MINDS CORP & ASOCIADOS','G03','06300','601'), conceptos=None, complemento='', relacionados='',
         stamp=True, addenda='', extra_ns='', total=None, moneda='MXN', more_stamps=()):
    """A CFDI 3.3/4.0 (or 3.2 with version='3.2', lower-case attributes); more_stamps: the UUIDs of
    further TimbreFiscalDigital after the first."""
    v32 = version == '3.2'
    ns = 'http://www.sat.gob.mx/cfd/3' if version in ('3.2','3.3') else 'http://www.sat.gob.mx/cfd/4'
    conceptos = conceptos if conceptos is not None else [
        ('43211503','LAP-01','2','H87','Pieza','Computadora portátil 14"','12000.00','24000.00','02',[('traslado','24000.00','002','Tasa','0.160000','3840.00')]),
        ('81112101','SRV-7','1','E48','Servicio','Instalación y configuración','1500.00','1500.00','02',[('traslado','1500.00','002','Tasa','0.160000','240.00'),('retencion','1500.00','001','Tasa','0.100000','150.00')]),
    ]
    sub = sum(float(c[7]) for c in conceptos)
    tras = sum(float(t[5]) for c in conceptos for t in c[9] if t[0]=='traslado')
    ret = sum(float(t[5]) for c in conceptos for t in c[9] if t[0]=='retencion')
    tot = total if total is not None else f'{sub+tras-ret:.2f}'
    if v32:
        head = dict(version='3.2', serie='A', folio='77', fecha='2016-03-01T09:30:00', formaDePago='PAGO EN UNA SOLA EXHIBICION', subTotal=f'{sub:.2f}', total=tot,
                    tipoDeComprobante='ingreso', metodoDePago='Transferencia', LugarExpedicion='Monterrey, Nuevo León', Moneda='MXN', noCertificado='20001000000200001428')
    else:
        head = dict(Version=version, Serie='F', Folio='1024', Fecha='2026-10-14T12:30:00', FormaPago='03', NoCertificado='30001000000400002434', SubTotal=f'{sub:.2f}',
                    Moneda=moneda, Total=tot, TipoDeComprobante=tipo, MetodoPago='PUE' if tipo=='I' else None, LugarExpedicion='42501')
        if version == '4.0': head['Exportacion'] = '01'
        if tipo in ('P',): head.pop('FormaPago'); head.pop('MetodoPago'); head['SubTotal']='0'; head['Total']='0'; head['Moneda']='XXX'
        if tipo == 'N': head.pop('MetodoPago'); head['FormaPago']='99'
    head = {k: v for k, v in head.items() if v is not None}
    x = f'<cfdi:Comprobante xmlns:cfdi="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"{extra_ns}{attrs(head)} Sello="c2VsbG8=" Certificado="Y2VydA==">'
    x += relacionados
    if v32:
        x += f'<cfdi:Emisor{attrs(dict(rfc=emisor[0], nombre=emisor[1]))}><cfdi:DomicilioFiscal calle="Av. Juárez" pais="México" codigoPostal="64000"/><cfdi:RegimenFiscal Regimen="{emisor[2]}"/></cfdi:Emisor>'
        x += f'<cfdi:Receptor{attrs(dict(rfc=receptor[0], nombre=receptor[1]))}/>'
    else:
        x += f'<cfdi:Emisor{attrs(dict(Rfc=emisor[0], Nombre=emisor[1], RegimenFiscal=emisor[2]))}/>'
        r = dict(Rfc=receptor[0], Nombre=receptor[1], UsoCFDI=receptor[2])
        if version == '4.0': r.update(DomicilioFiscalReceptor=receptor[3], RegimenFiscalReceptor=receptor[4])
        x += f'<cfdi:Receptor{attrs(r)}/>'
    x += '<cfdi:Conceptos>'
    for (cps, noid, cant, cu, uni, desc, vu, imp, obj, taxes) in conceptos:
        if v32:
            c = dict(cantidad=cant, unidad=uni, noIdentificacion=noid, descripcion=desc, valorUnitario=vu, importe=imp)
        else:
            c = dict(ClaveProdServ=cps, NoIdentificacion=noid, Cantidad=cant, ClaveUnidad=cu, Unidad=uni, Descripcion=desc, ValorUnitario=vu, Importe=imp)
            if version == '4.0': c['ObjetoImp'] = obj
        if v32 or not taxes:
            x += f'<cfdi:Concepto{attrs(c)}/>'
            continue
        x += f'<cfdi:Concepto{attrs(c)}><cfdi:Impuestos>'
        for kind in ('traslado','retencion'):
            ts = [t for t in taxes if t[0]==kind]
            if ts:
                group = 'Traslados' if kind=='traslado' else 'Retenciones'
                el = 'Traslado' if kind=='traslado' else 'Retencion'
                x += f'<cfdi:{group}>' + ''.join(f'<cfdi:{el}{attrs(dict(Base=t[1], Impuesto=t[2], TipoFactor=t[3], TasaOCuota=t[4], Importe=t[5]))}/>' for t in ts) + f'</cfdi:{group}>'
        x += '</cfdi:Impuestos></cfdi:Concepto>'
    x += '</cfdi:Conceptos>'
    if v32:
        x += f'<cfdi:Impuestos totalImpuestosTrasladados="{tras:.2f}"><cfdi:Traslados><cfdi:Traslado impuesto="IVA" tasa="16.00" importe="{tras:.2f}"/></cfdi:Traslados></cfdi:Impuestos>'
    elif tras or ret:
        x += '<cfdi:Impuestos' + (f' TotalImpuestosRetenidos="{ret:.2f}"' if ret else '') + f' TotalImpuestosTrasladados="{tras:.2f}">'
        if ret: x += f'<cfdi:Retenciones><cfdi:Retencion Impuesto="001" Importe="{ret:.2f}"/></cfdi:Retenciones>'
        x += f'<cfdi:Traslados><cfdi:Traslado Base="{sub:.2f}" Impuesto="002" TipoFactor="Tasa" TasaOCuota="0.160000" Importe="{tras:.2f}"/></cfdi:Traslados></cfdi:Impuestos>'
    def timbre(u, fecha='2026-10-14T12:31:07'):
        tv = '1.0' if v32 or version=='3.3' else '1.1'
        ta = dict(version=tv) if v32 else dict(Version=tv)
        ta.update(UUID=u, FechaTimbrado=fecha, RfcProvCertif='SPR190613I52', SelloCFD='c2VsbG8=', NoCertificadoSAT='30001000000400002495', SelloSAT='c2F0')
        if v32 or version == '3.3': ta.pop('RfcProvCertif')
        return f'<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital"{attrs(ta)}/>'
    tfd = (timbre(uuid) + ''.join(timbre(u, '2026-10-14T12:40:00') for u in more_stamps)) if stamp else ''
    if tfd or complemento:
        x += '<cfdi:Complemento>' + complemento + tfd + '</cfdi:Complemento>'
    x += addenda + '</cfdi:Comprobante>'
    return x

U40 = '9b1f0c7e-3a52-4d8e-9f10-2c4b6a8d0e11'
U33 = 'C0FFEE00-1234-4ABC-8DEF-0123456789AB'
U32 = '5E2A4C10-7B3D-4F61-9A2E-D4C3B2A19080'
UPAGO = 'A1B2C3D4-E5F6-4789-8ABC-DEF012345678'
UNOM = 'D00DFEED-0000-4000-8000-000000000012'
UBOM = 'B0B0B0B0-1111-4222-8333-444455556666'
UZIP = 'FACE0000-AAAA-4BBB-8CCC-DDDDEEEEFFFF'
rel = '<cfdi:CfdiRelacionados TipoRelacion="04"><cfdi:CfdiRelacionado UUID="0e7d6c5b-4a39-4281-9f0e-d1c2b3a49586"/></cfdi:CfdiRelacionados>'
addenda = '<cfdi:Addenda><ext:Pedido xmlns:ext="http://example.com/addenda/pedidos" numero="PO-5521"><ext:Entrega>Almacén 3</ext:Entrega></ext:Pedido></cfdi:Addenda>'
c40 = write(OUT+'/cfdi/cfdi40-ingreso.xml', cfdi('4.0', U40, relacionados=rel, addenda=addenda, extra_ns=' xmlns:sinuso="http://example.com/unused"'))
write(OUT+'/cfdi/cfdi40-ingreso_resent.xml', cfdi('4.0', U40.upper(), relacionados=rel))                 # same UUID, other bytes
write(OUT+'/cfdi/cfdi33-ingreso.xml', cfdi('3.3', U33, emisor=(' AAA010101AAA','Tienda La Esperanza SA de CV','601'),
      receptor=('XAXX010101000','PUBLICO EN GENERAL','P01','',''),
      conceptos=[('50202306','REF-600','6','H87','Pieza','Refresco 600 ml','15.00','90.00','02',[('traslado','90.00','002','Tasa','0.160000','14.40')])]))
write(OUT+'/cfdi/cfdi32-ingreso.xml', cfdi('3.2', U32, emisor=('E&Ñ831019M53','Exportadora Ñandú','Régimen General de Ley Personas Morales'),
      receptor=('GOMJ800101AB1','Juan Gómez Martínez','','',''),
      conceptos=[('','CAB-1','3','','Pieza','Cable HDMI 2 m','150.00','450.00','',[('traslado','450.00','002','Tasa','0.160000','72.00')])]))
pagos20 = ('<pago20:Pagos xmlns:pago20="http://www.sat.gob.mx/Pagos20" Version="2.0"><pago20:Totales MontoTotalPagos="20000.00" TotalTrasladosBaseIVA16="17241.38" TotalTrasladosImpuestoIVA16="2758.62"/>'
    '<pago20:Pago FechaPago="2026-10-20T10:00:00" FormaDePagoP="03" MonedaP="MXN" TipoCambioP="1" Monto="20000.00">'
    f'<pago20:DoctoRelacionado IdDocumento="{U40}" Serie="F" Folio="1024" MonedaDR="MXN" EquivalenciaDR="1" NumParcialidad="1" ImpSaldoAnt="29430.00" ImpPagado="19745.60" ImpSaldoInsoluto="9684.40" ObjetoImpDR="02">'
    '<pago20:ImpuestosDR><pago20:TrasladosDR><pago20:TrasladoDR BaseDR="17151.38" ImpuestoDR="002" TipoFactorDR="Tasa" TasaOCuotaDR="0.160000" ImporteDR="2744.22"/></pago20:TrasladosDR></pago20:ImpuestosDR></pago20:DoctoRelacionado>'
    f'<pago20:DoctoRelacionado IdDocumento="{U33}" MonedaDR="MXN" EquivalenciaDR="1" NumParcialidad="1" ImpSaldoAnt="104.40" ImpPagado="104.40" ImpSaldoInsoluto="0.00" ObjetoImpDR="01"/>'
    '<pago20:ImpuestosP><pago20:TrasladosP><pago20:TrasladoP BaseP="17241.38" ImpuestoP="002" TipoFactorP="Tasa" TasaOCuotaP="0.160000" ImporteP="2758.62"/></pago20:TrasladosP></pago20:ImpuestosP>'
    '</pago20:Pago>'
    '<pago20:Pago FechaPago="2026-11-05T16:45:00" FormaDePagoP="02" MonedaP="MXN" Monto="9684.40">'
    f'<pago20:DoctoRelacionado IdDocumento="{U40}" MonedaDR="MXN" EquivalenciaDR="1" NumParcialidad="2" ImpSaldoAnt="9684.40" ImpPagado="9684.40" ImpSaldoInsoluto="0.00" ObjetoImpDR="01"/>'
    '</pago20:Pago></pago20:Pagos>')
write(OUT+'/cfdi/cfdi40-pagos20.xml', cfdi('4.0', UPAGO, tipo='P', receptor=('MCI7306249Y1','MINDS CORP & ASOCIADOS','CP01','06300','601'),
      conceptos=[('84111506','','1','ACT','','Pago','0','0','01',[])], complemento=pagos20))
nomina12 = ('<nomina12:Nomina xmlns:nomina12="http://www.sat.gob.mx/nomina12" Version="1.2" TipoNomina="O" FechaPago="2026-10-15" FechaInicialPago="2026-10-01" FechaFinalPago="2026-10-15" NumDiasPagados="15.000" TotalPercepciones="12500.00" TotalDeducciones="1875.40" TotalOtrosPagos="0.00">'
    '<nomina12:Emisor RegistroPatronal="B5510768108"/>'
    '<nomina12:Receptor Curp="GOMJ800101HNLMRN09" NumSeguridadSocial="12345678901" FechaInicioRelLaboral="2019-02-01" Antigüedad="P403W" TipoContrato="01" TipoRegimen="02" NumEmpleado="0042" PeriodicidadPago="04" ClaveEntFed="NLE" SalarioDiarioIntegrado="880.00"/>'
    '<nomina12:Percepciones TotalSueldos="12500.00" TotalGravado="12000.00" TotalExento="500.00">'
    '<nomina12:Percepcion TipoPercepcion="001" Clave="P001" Concepto="Sueldo" ImporteGravado="12000.00" ImporteExento="0.00"/>'
    '<nomina12:Percepcion TipoPercepcion="029" Clave="P029" Concepto="Vales de despensa" ImporteGravado="0.00" ImporteExento="500.00"/></nomina12:Percepciones>'
    '<nomina12:Deducciones TotalOtrasDeducciones="420.00" TotalImpuestosRetenidos="1455.40">'
    '<nomina12:Deduccion TipoDeduccion="002" Clave="D002" Concepto="ISR" Importe="1455.40"/>'
    '<nomina12:Deduccion TipoDeduccion="001" Clave="D001" Concepto="IMSS" Importe="420.00"/></nomina12:Deducciones>'
    '<nomina12:OtrosPagos><nomina12:OtroPago TipoOtroPago="002" Clave="O002" Concepto="Subsidio para el empleo" Importe="0.00"><nomina12:SubsidioAlEmpleo SubsidioCausado="0.00"/></nomina12:OtroPago></nomina12:OtrosPagos>'
    '</nomina12:Nomina>')
write(OUT+'/cfdi/cfdi40-nomina12.xml', cfdi('4.0', UNOM, tipo='N', receptor=('GOMJ800101AB1','JUAN GOMEZ MARTINEZ','CN01','64000','605'),
      conceptos=[('84111505','','1','ACT','','Pago de nómina','12500.00','12500.00','01',[])], total='10624.60', complemento=nomina12))
write(OUT+'/cfdi/cfdi40-utf8-bom.xml', cfdi('4.0', UBOM), bom=True)
# stamped twice (a PAC's retry): the first stamp is the document's
write(OUT+'/cfdi/cfdi40-two-stamps.xml', cfdi('4.0', '7A1E0D2C-5B4F-4E3A-9C8D-1F2E3D4C5B6A', more_stamps=('E4D3C2B1-A09F-4E8D-8C7B-6A5F4E3D2C1B',)))
# broken twins, one per CFDI error type
write(OUT+'/cfdi/broken-cfdi-not-stamped.xml', cfdi('4.0', stamp=False))
write(OUT+'/cfdi/broken-cfdi-bad-rfc.xml', cfdi('4.0', '11111111-2222-4333-8444-555555555555', emisor=('EKU-9003173C9','ESCUELA KEMPER URGATE','601')))
write(OUT+'/cfdi/broken-cfdi-amount-not-a-number.xml', cfdi('4.0', '22222222-3333-4444-8555-666666666666', total='$29,580.00'))
write(OUT+'/cfdi/broken-cfdi-bad-uuid.xml', cfdi('4.0', 'no-es-un-uuid'))
write(OUT+'/cfdi/broken-cfdi-version-2.2.xml', cfdi('3.3', '33333333-4444-4555-8666-777777777777').replace('Version="3.3"', 'Version="2.2"', 1))

# ---- CFDI de Retenciones e Información de Pagos (Mexico) ----
# Attribute names as in SAT's retencionpagov1.xsd / retencionpagov2.xsd; 1.0 stamps with TFD 1.0
# (lower-case noCertificadoSAT, no RfcProvCertif), 2.0 with TFD 1.1.
def retenciones(version, uuid=None):
    v1 = version == '1.0'
    ns = f'http://www.sat.gob.mx/esquemas/retencionpago/{version[0]}'
    if v1:
        # an individual pays technical assistance to a company abroad: ISR withheld at 25%
        head = dict(Version='1.0', FolioInt='R-2021-014', FechaExp='2021-03-10T11:20:00-06:00', CveRetenc='25',
                    DescRetenc='Asistencia técnica prestada desde el extranjero', NumCert='30001000000400002434', Cert='Y2VydA==', Sello='c2VsbG8=')
        body = ('<retenciones:Emisor RFCEmisor="LOPA721015QX3" NomDenRazSocE="ALBERTO LÓPEZ PÉREZ" CURPE="LOPA721015HDFPRL05"/>'
                '<retenciones:Receptor Nacionalidad="Extranjero"><retenciones:Extranjero NumRegIdTrib="98-7654321" NomDenRazSocR="NORTHWIND TRADERS LLC"/></retenciones:Receptor>'
                '<retenciones:Periodo MesIni="1" MesFin="2" Ejerc="2021"/>'
                '<retenciones:Totales montoTotOperacion="50000.00" montoTotGrav="50000.00" montoTotExent="0.00" montoTotRet="12500.00">'
                '<retenciones:ImpRetenidos BaseRet="50000.00" Impuesto="01" montoRet="12500.00" TipoPagoRet="Pago definitivo"/></retenciones:Totales>')
        complemento = ('<pagosaextranjeros:Pagosaextranjeros xmlns:pagosaextranjeros="http://www.sat.gob.mx/esquemas/retencionpago/1/pagosaextranjeros" Version="1.0" EsBenefEfectDelCobro="SI">'
                       '<pagosaextranjeros:NoBeneficiario PaisDeResidParaEfecFisc="US" ConceptoPago="9" DescripcionConcepto="Asistencia técnica"/></pagosaextranjeros:Pagosaextranjeros>')
        tfd = dict(version='1.0', UUID=uuid, FechaTimbrado='2021-03-10T11:21:45', selloCFD='c2VsbG8=', noCertificadoSAT='00001000000403258748', selloSAT='c2F0')
    else:
        # a ride-hailing platform's monthly statement to a driver: ISR 2.1% and IVA 8% withheld
        head = dict(Version='2.0', FolioInt='PT202610', FechaExp='2026-11-02T09:15:00', LugarExpRetenc='06600', CveRetenc='26',
                    NoCertificado='30001000000400002434', Certificado='Y2VydA==', Sello='c2VsbG8=')
        body = ('<retenciones:CfdiRetenRelacionados TipoRelacion="04" UUID="3f2504e0-4f89-41d3-9a0c-0305e82c3301"/>'
                '<retenciones:Emisor RfcE="PTE190510AB3" NomDenRazSocE="PLATAFORMA DE TRANSPORTE EJEMPLO" RegimenFiscalE="601"/>'
                '<retenciones:Receptor NacionalidadR="Nacional"><retenciones:Nacional RfcR="GOMJ800101AB1" NomDenRazSocR="JUAN GÓMEZ MARTÍNEZ" CurpR="GOMJ800101HNLMRN09" DomicilioFiscalR="64000"/></retenciones:Receptor>'
                '<retenciones:Periodo MesIni="10" MesFin="10" Ejercicio="2026"/>'
                '<retenciones:Totales MontoTotOperacion="18500.00" MontoTotGrav="18500.00" MontoTotExent="0.00" MontoTotRet="1868.50">'
                '<retenciones:ImpRetenidos BaseRet="18500.00" ImpuestoRet="001" MontoRet="388.50" TipoPagoRet="03"/>'
                '<retenciones:ImpRetenidos BaseRet="18500.00" ImpuestoRet="002" MontoRet="1480.00" TipoPagoRet="01"/></retenciones:Totales>')
        complemento = ('<plataformasTecnologicas:ServiciosPlataformasTecnologicas xmlns:plataformasTecnologicas="http://www.sat.gob.mx/esquemas/retencionpago/1/PlataformasTecnologicas10" Version="1.0" Periodicidad="04" NumServ="1" MonTotServSIVA="18500.00" TotalIVATrasladado="2960.00" TotalIVARetenido="1480.00" TotalISRRetenido="388.50" DifIVAEntregadoPrestServ="1480.00" MonTotalporUsoPlataforma="4625.00">'
                       '<plataformasTecnologicas:Servicios><plataformasTecnologicas:DetallesDelServicio FormaPagoServ="03" TipoDeServ="01" FechaServ="2026-10-31" PrecioServSinIVA="18500.00"/></plataformasTecnologicas:Servicios>'
                       '</plataformasTecnologicas:ServiciosPlataformasTecnologicas>')
        tfd = dict(Version='1.1', UUID=uuid, FechaTimbrado='2026-11-02T09:16:30', RfcProvCertif='SPR190613I52', SelloCFD='c2VsbG8=', NoCertificadoSAT='30001000000400002495', SelloSAT='c2F0')
    x = f'<retenciones:Retenciones xmlns:retenciones="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"{attrs(head)}>' + body
    if uuid is not None:
        x += '<retenciones:Complemento>' + complemento + f'<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital"{attrs(tfd)}/>' + '</retenciones:Complemento>'
    return x + '</retenciones:Retenciones>'

R = OUT + '/retenciones'
write(R+'/retenciones10-pago-al-extranjero.xml', retenciones('1.0', '6d1c9a3e-2b7f-4e58-a9c0-15f3b2d4e6a7'))
write(R+'/retenciones20-plataforma.xml', retenciones('2.0', 'b7e4f2a1-0c3d-4e5f-8a9b-c1d2e3f40516'))
write(R+'/retenciones20-plataforma_resent.xml', retenciones('2.0', 'B7E4F2A1-0C3D-4E5F-8A9B-C1D2E3F40516'))   # same UUID, other bytes
write(R+'/broken-retenciones-not-stamped.xml', retenciones('2.0'))

def mkzip(entries):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=(2026,10,31,12,0,0)); zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    return bio.getvalue()
x = lambda k, n: ('<?xml version="1.0" encoding="UTF-8"?>\n'+nfe(k, nnf=n)).encode()
open(OUT+'/zip/notas-2026-10.zip','wb').write(mkzip([
    ('2026-10/'+kz1+'-nfe.xml', x(kz1,2001)),
    ('2026-10/'+kz2+'-nfe.xml', x(kz2,2002)),
    ('2026-10/quebrado.xml', x(kz1,2001)[:300]),
]))
inner = mkzip([(kz3+'-nfe.xml', x(kz3,2003))])
open(OUT+'/zip/nested.zip','wb').write(mkzip([
    ('inner.zip', inner),
    (kz4+'-nfe.xml', x(kz4,2004)),
]))
kz5=key('35','2610',C,55,1,2005,20050050)
open(OUT+'/zip/mixto.zip','wb').write(mkzip([
    ('nfe/'+kz5+'-nfe.xml', x(kz5,2005)),
    ('cfdi/'+UZIP+'.xml', ('<?xml version="1.0" encoding="UTF-8"?>\n'+cfdi('4.0', UZIP)).encode()),
]))
print("keys", k1,k2,k3,k4,k5,k6,k7,k8,kz1,kz2,kz3,kz4)

# ---- hostile inputs: each must fail alone with its own error_type ----
import struct, zlib
H = OUT + '/hostile'
shutil.rmtree(H, ignore_errors=True); os.makedirs(H)

def zeros_zip(size):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        zi = zipfile.ZipInfo('zeros.xml', date_time=(2026,10,31,12,0,0)); zi.compress_type = zipfile.ZIP_DEFLATED
        with z.open(zi, 'w', force_zip64=True) as f:
            chunk = b'\0' * (1 << 20)
            for _ in range(size >> 20): f.write(chunk)
    return bio.getvalue()

# 10 GB from a few KB: ten ZIPs of 1 GiB of zeros each, inside one ZIP.
inner = zeros_zip(1 << 30)
open(H+'/bomb-10gb.zip','wb').write(mkzip([(f'layer-{i}.zip', inner) for i in range(10)]))

def patch_all(data, sig, offset, fmt, value):
    data = bytearray(data); i = 0
    while True:
        i = data.find(sig, i)
        if i < 0: return bytes(data)
        struct.pack_into(fmt, data, i + offset, value); i += 4

# A member that says it is 1,000 bytes and inflates to 60 MiB.
liar = mkzip([('nota.xml', b'\0' * (60 << 20))])
liar = patch_all(liar, b'PK\x03\x04', 22, '<I', 1000)
liar = patch_all(liar, b'PK\x01\x02', 24, '<I', 1000)
open(H+'/lying-size.zip','wb').write(liar)

# Names that would escape an extraction folder, beside a good document.
open(H+'/zip-slip.zip','wb').write(mkzip([
    ('../../etc/cron.d/nota.xml', x(kz1, 2001)),
    ('/tmp/nota.xml', x(kz1, 2001)),
    ('ok/' + kz2 + '-nfe.xml', x(kz2, 2002)),
]))

# A member flagged as encrypted (general purpose bit 0).
enc = bytearray(mkzip([('secreta.xml', x(kz2, 2002))]))
for sig, off in ((b'PK\x03\x04', 6), (b'PK\x01\x02', 8)):
    i = enc.find(sig); enc[i + off] |= 1
open(H+'/encrypted.zip','wb').write(bytes(enc))

# A stored member whose bytes were damaged after it was written: its CRC-32 no longer matches.
bio = io.BytesIO()
with zipfile.ZipFile(bio, 'w', zipfile.ZIP_STORED) as z:
    zi = zipfile.ZipInfo('nota-danificada.xml', date_time=(2026,10,31,12,0,0)); z.writestr(zi, x(kz2, 2002))
crc = bytearray(bio.getvalue())
i = crc.find(b'<nNF>'); crc[i + 5] = ord('9') if crc[i + 5] != ord('9') else ord('8')
open(H+'/crc-mismatch.zip','wb').write(bytes(crc))

# An archive cut short: no central directory; the first member is whole.
whole = open(OUT+'/zip/notas-2026-10.zip','rb').read()
second = whole.find(b'PK\x03\x04', 4)
open(H+'/truncated.zip','wb').write(whole[:second + 200])

# Billion laughs: entity declarations that would expand to gigabytes.
lol = '<?xml version="1.0"?>\n<!DOCTYPE nfeProc [\n<!ENTITY lol "lol">\n'
lol += ''.join(f'<!ENTITY lol{i} "{("&lol" + (str(i-1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
lol += ']>\n<nfeProc><NFe><infNFe Id="NFe' + k1 + '"><ide><natOp>&lol9;</natOp></ide></infNFe></NFe></nfeProc>\n'
open(H+'/billion-laughs.xml','w').write(lol)

# Nesting far deeper than any fiscal document.
deep = '<?xml version="1.0"?>\n<nfeProc><NFe><infNFe Id="NFe' + k1 + '">' + '<a>' * 5000 + '</a>' * 5000 + '</infNFe></NFe></nfeProc>\n'
open(H+'/deep-nesting.xml','w').write(deep)

# Product catalogs (CSV). Walk order: catalogo-latin1.csv, then produtos-2026-10.csv, which
# updates SKU 7891000100103 (price 5.49 -> 5.99).
C = OUT + '/catalog'
open(C+'/produtos-2026-10.csv', 'w', encoding='utf-8', newline='').write(
    'sku,name,description,category,unit,price,stock,supplier_id,sanitary_certificate,lead_time_days\n'
    '7891000100103,Café Torrado 500g,"Torra média, moído",Alimentos,UN,5.99,120,SUP00001,,3\n'
    '7891000100202,Dipirona 500mg,"Caixa c/ 10 comprimidos, ""genérico""",Medicamentos,CX,8.75,40,SUP00002,ANVISA 1.0235.0012.001-1,5\n'
    'SKU-0003,Sabonete Neutro,"Linha sensível\nObs: manter em local seco",Higiene Pessoal,UN,2.10,300,SUP00003,,7\n'
    ',Produto sem SKU,,Limpeza,UN,3.00,1,SUP00004,,1\n'
    'SKU-0005,Detergente 500ml,,Limpeza,UN,"12,50",10,SUP00004,,1\n'
    '\n'
    'SKU-0006,,Sem nome,Limpeza,UN,1.00,1,SUP00004,,1\n'
    'SKU-0007,Álcool Gel 70%,,Higiene Pessoal,FR,9.90,,SUP00003,,\n')
open(C+'/catalogo-latin1.csv', 'wb').write(
    'Código;Nome;Preço;Estoque;Unidade\r\n'
    '7891000100103;Café Torrado 500g;5.49;100;UN\r\n'
    'SKU-0101;Sabão em Pó 1kg;14.90;55;CX\r\n'
    'SKU-0102;Açúcar Refinado 1kg;4.39;0;UN\r\n'.encode('latin-1'))
open(C+'/sem-linhas-validas.csv', 'w', encoding='utf-8').write(
    'sku,name,price\n,Sem SKU,1.00\nSKU-1,Sem preço,\n')
# A reference table, not a catalog (no price): unsupported.
open(C+'/tabela-ncm.csv', 'wb').write(
    'codigo;descricao;aliquota\r\n09012100;Café torrado, não descafeinado;18.00\r\n'.encode('latin-1'))

# Not well-formed XML, each as a user met it: xml_malformed, never imported.
M = OUT + '/malformed'
shutil.rmtree(M, ignore_errors=True); os.makedirs(M)
n8 = nfe(k8, nnf=1008)
write(M+'/cfdi-lt-in-attribute.xml', cfdi('4.0', '44444444-5555-4666-8777-888888888888').replace('Nombre="ESCUELA KEMPER URGATE"', 'Nombre="}ni,os<wr ESCUELA KEMPER URGATE"', 1))
k9 = key('35','2610','12345678000195',55,1,1009,10090090)
open(M+'/nfe-two-documents.xml','wb').write(write(M+'/nfe-two-documents.xml', n8) + write(M+'/nfe-two-documents.xml', nfe(k9, nnf=1009)))
write(M+'/nfe-duplicate-attribute.xml', n8.replace('versao="4.00"', 'versao="4.00" versao="3.10"', 1))
write(M+'/nfe-char-reference-1.xml', n8.replace('<natOp>', '<natOp>&#1;', 1))
write(M+'/nfe-control-character.xml', n8.replace('<natOp>', '<natOp>\x0b', 1))
write(M+'/nfe-attribute-without-value.xml', n8.replace('versao="4.00"', 'versao', 1))
write(M+'/nfe-double-dash-in-comment.xml', n8.replace('<NFe', '<!-- gerado pelo ERP -- versao 2 --><NFe', 1))
open(M+'/nfe-text-after-root.xml','wb').write(write(M+'/nfe-text-after-root.xml', n8) + b'fim do arquivo\n')

# Spreadsheets, written part by part (an XLSX is a ZIP of XML parts), so that every byte of
# the hostile ones is chosen: shared strings, number, date (style 1: built-in format 14) and
# formula cells with cached values.
def col_name(i):
    s = ''
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s

def xlsx_bytes(sheets, *, unique_count=None, dimension=None):
    """sheets: [(name, {row_number: [cell, ...]})]; a cell is None, str (a shared string),
    int/float, ('date', serial) or ('f', formula, cached number)."""
    esc = lambda t: t.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    strings, index = [], {}
    def sid(t):
        if t not in index:
            index[t] = len(strings); strings.append(t)
        return index[t]
    parts = []
    for n, (name, rows) in enumerate(sheets, 1):
        xml = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
        if dimension: xml.append(f'<dimension ref="{dimension}"/>')
        xml.append('<sheetData>')
        for r in sorted(rows):
            cells = []
            for c, v in enumerate(rows[r]):
                ref = f'{col_name(c)}{r}'
                if v is None: continue
                if isinstance(v, str): cells.append(f'<c r="{ref}" t="s"><v>{sid(v)}</v></c>')
                elif isinstance(v, tuple) and v[0] == 'date': cells.append(f'<c r="{ref}" s="1"><v>{v[1]}</v></c>')
                elif isinstance(v, tuple) and v[0] == 'f': cells.append(f'<c r="{ref}"><f>{esc(v[1])}</f><v>{v[2]}</v></c>')
                elif isinstance(v, tuple) and v[0] == 'at': cells.append(f'<c r="{v[1]}" t="s"><v>{sid(v[2])}</v></c>')
                else: cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            xml.append(f'<row r="{r}">' + ''.join(cells) + '</row>')
        xml.append('</sheetData></worksheet>')
        parts.append((f'xl/worksheets/sheet{n}.xml', ''.join(xml)))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          + ''.join(f'<Override PartName="/{p}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for p, _ in parts)
          + '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
          '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
    book = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {ns} xmlns:r="{rel}"><sheets>'
            + ''.join(f'<sheet name="{esc(name)}" sheetId="{n}" r:id="rId{n}"/>' for n, (name, _) in enumerate(sheets, 1)) + '</sheets></workbook>')
    k = len(sheets)
    book_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 + ''.join(f'<Relationship Id="rId{n}" Type="{rel}/worksheet" Target="worksheets/sheet{n}.xml"/>' for n in range(1, k + 1))
                 + f'<Relationship Id="rId{k+1}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
                 + f'<Relationship Id="rId{k+2}" Type="{rel}/styles" Target="styles.xml"/></Relationships>')
    styles = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {ns}><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>')
    count = len(strings) if unique_count is None else unique_count
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {ns} count="{len(strings)}" uniqueCount="{count}">'
           + ''.join(f'<si><t xml:space="preserve">{esc(t)}</t></si>' for t in strings) + '</sst>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in [('[Content_Types].xml', ct), ('_rels/.rels', root_rels), ('xl/workbook.xml', book),
                           ('xl/_rels/workbook.xml.rels', book_rels), ('xl/styles.xml', styles),
                           ('xl/sharedStrings.xml', sst)] + parts:
            info = zipfile.ZipInfo(name, date_time=(2026, 10, 5, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return out.getvalue()

C = OUT + '/catalog'
# A supplier's workbook: a summary sheet first (not a catalog), then the products under a
# title and a blank row. SKUs stored as text keep their zeros; one is a number. Prices are
# numbers (one a formula), `validade` holds dates and `Marca` is a column batchimp does not map:
# both land in `extra`. Rows 10, 15 and 21 are bad: a price in words, no name, stock in words.
produtos = {1: ['Catálogo Distribuidora Araújo — outubro de 2026'],
            3: ['codigo', 'nome', 'preco', 'estoque', 'validade', 'Marca']}
for i in range(20):
    r = 4 + i
    produtos[r] = [f'{123 + i:05d}', f'Produto {i + 1}', round(1.1 + i * 2.35, 2), 10 * i, ('date', 46477 + i), 'Araújo']
produtos[5][0] = 4567                      # a numeric SKU
produtos[6][2] = ('f', 'B7*2', 10.5)       # a formula's cached value
produtos[10][2] = 'doze reais'
produtos[15][1] = None
produtos[21][3] = 'muito'
S = OUT + '/spreadsheet'
shutil.rmtree(S, ignore_errors=True); os.makedirs(S)
open(S + '/planilha-fornecedor.xlsx', 'wb').write(xlsx_bytes([
    ('Resumo', {1: ['Total de itens', 20], 2: ['Gerado em', ('date', 46300)]}),
    ('Produtos', produtos)]))
# A Brazilian `;` export: thousands points, decimal commas, a currency symbol.
open(C + '/precos-brasil.csv', 'w', encoding='utf-8', newline='').write(
    'codigo;nome;preco;estoque\r\n'
    'BR-001;Cafeteira Elétrica;1.234,56;12\r\n'
    'BR-002;Filtro de Papel;R$ 9,90;1.500\r\n'
    'BR-003;Garrafa Térmica;89,9;40\r\n')

H = OUT + '/hostile'
good = xlsx_bytes([('Produtos', {1: ['sku', 'name', 'price'], 2: ['HX-1', 'Hostil', 1]})])
# A part inflating 4 MiB of blanks from a few KiB: past 250:1.
bomb = xlsx_bytes([('Produtos', {1: ['sku', 'name', 'price'], 2: ['HX-1', 'Hostil', 1]})])
zb = io.BytesIO()
with zipfile.ZipFile(io.BytesIO(bomb)) as src, zipfile.ZipFile(zb, 'w', zipfile.ZIP_DEFLATED) as z:
    for item in src.infolist():
        data = src.read(item.filename)
        if item.filename == 'xl/worksheets/sheet1.xml':
            data = data.replace(b'<sheetData>', b'<sheetData>' + b' ' * (4 << 20))
        info = zipfile.ZipInfo(item.filename, date_time=(2026, 10, 5, 12, 0, 0)); info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
open(H + '/xlsx-bomb.xlsx', 'wb').write(zb.getvalue())
# A shared-strings part that inflates past the size its headers declare.
lying = bytearray(good)
i = lying.find(b'xl/sharedStrings.xml')
while i != -1:
    h = lying.rfind(b'PK', 0, i)
    if lying[h:h+4] == b'PK\x03\x04': lying[h+22:h+26] = (100).to_bytes(4, 'little')
    if lying[h:h+4] == b'PK\x01\x02': lying[h+24:h+28] = (100).to_bytes(4, 'little')
    i = lying.find(b'xl/sharedStrings.xml', i + 1)
open(H + '/xlsx-lying-size.xlsx', 'wb').write(bytes(lying))
# Shared strings claiming four billion entries (calamine would reserve ~96 GB for them).
open(H + '/xlsx-shared-strings-count.xlsx', 'wb').write(
    xlsx_bytes([('Produtos', {1: ['sku', 'name', 'price'], 2: ['HX-1', 'Hostil', 1]})], unique_count=4000000000))
# A sheet declaring every column and row Excel allows, with a cell in the last one: a valid
# catalog of one product (reading the whole declared range would allocate ~550 GB).
open(H + '/xlsx-huge-dimension.xlsx', 'wb').write(xlsx_bytes(
    [('Produtos', {1: ['sku', 'name', 'price'], 2: ['HX-2', 'Imenso', 2], 1048576: [('at', 'XFD1048576', 'fim')]})],
    dimension='A1:XFD1048576'))
# A workbook cut in half, as an interrupted download leaves it.
whole = xlsx_bytes([('Produtos', produtos)])
open(H + '/xlsx-truncated.xlsx', 'wb').write(whole[:len(whole) // 2])
# A text file named like a workbook.
open(H + '/nao-e-planilha.xlsx', 'w').write('Este arquivo não é uma planilha: o download falhou.\n')
# A password-protected workbook, encrypted by msoffcrypto-tool (Agile encryption, as Excel
# writes it). Its salt is random, so it is written only when missing.
if not os.path.exists(H + '/xlsx-password.xlsx'):
    import msoffcrypto.format.ooxml as ooxml
    with open(H + '/xlsx-password.xlsx', 'wb') as out:
        ooxml.OOXMLFile(io.BytesIO(good)).encrypt('segredo', out)
